-- PostgreSQL checks every foreign key of every inserted row, one by one:
-- an import paid for seven per member. The org_id keys of status history
-- and team places said nothing their member_id keys do not (a member's
-- rows go with the member, and the member with its organization, by
-- ON DELETE CASCADE both), and cost about 0.5 s per 100,000 imported
-- members each (docs/BENCHMARKS.md). The columns and their indexes stay.
-- (SQLite keeps them: dropping a key there means rebuilding the table.)
ALTER TABLE member_status_history DROP CONSTRAINT member_status_history_org_id_fkey;
ALTER TABLE team_members DROP CONSTRAINT team_members_org_id_fkey;
