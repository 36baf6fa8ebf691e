-- Five teams in the organization 'bench', every member in one of them (a
-- fifth of them its lead, a tenth core members): the member export's teams
-- column and the workbook's Team assignments sheet have work to do.
INSERT INTO teams (org_id, name, purpose, is_division, created_at, updated_at)
SELECT o.id, 'Team ' || t.n, 'Bench team ' || t.n, 0, 1700000000000, 1700000000000
FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) t
JOIN organizations o ON o.slug = 'bench';
INSERT INTO team_members (team_id, member_id, org_id, team_role, core_member)
SELECT t.id, m.id, m.org_id, CASE WHEN m.id % 5 = 0 THEN 'lead' ELSE 'member' END,
       CASE WHEN m.id % 10 = 0 THEN 1 ELSE 0 END
FROM members m
JOIN teams t ON t.org_id = m.org_id AND t.name = 'Team ' || (m.id % 5 + 1);
