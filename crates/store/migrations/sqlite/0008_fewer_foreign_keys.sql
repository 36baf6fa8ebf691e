-- Nothing on SQLite: PostgreSQL drops two foreign keys that cost it time on
-- every imported row (see the PostgreSQL file); SQLite keeps them, since
-- dropping a key there means rebuilding the table.
SELECT 1;
