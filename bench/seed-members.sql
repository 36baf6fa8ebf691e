-- Loads :N members into the organization 'bench' (created by `roster org
-- create`). Runs on SQLite and PostgreSQL: the runner replaces
-- SERIES by each backend's row generator (a table s with column n). Names carry lower-case umlauts
-- and accents only, so that SQLite's ASCII lower() builds the same
-- search_text as the application does.
WITH firsts(i, name) AS (VALUES (0, 'Jürgen'), (1, 'Anna'), (2, 'Björn'), (3, 'Zoë'), (4, 'Sören'), (5, 'Hélène'), (6, 'François'),
             (7, 'Daan'), (8, 'Sanne'), (9, 'Thijs'), (10, 'Noémie'), (11, 'Benoît'), (12, 'Oliver'), (13, 'Charlotte'),
             (14, 'Käthe'), (15, 'Gaël'), (16, 'Léa'), (17, 'Jörg'), (18, 'Mirjam'), (19, 'Raphaël')),
     lasts(i, name) AS (VALUES (0, 'Müller'), (1, 'Schröder'), (2, 'Weiß'), (3, 'Köhler'), (4, 'Bäcker'), (5, 'Hoffmann'),
             (6, 'Krämer'), (7, 'Jäger'), (8, 'de Vries'), (9, 'van den Berg'), (10, 'Jansen'), (11, 'Bakker'),
             (12, 'Visser'), (13, 'Lefèvre'), (14, 'Dubois'), (15, 'Moreau'), (16, 'Girard'), (17, 'Bérénger'),
             (18, 'Fournier'), (19, 'Mercier'), (20, 'Smith'), (21, 'Jones'), (22, 'Taylor'), (23, 'Brown'),
             (24, 'O''Connor'))
INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, role, seat_type,
                     status, external, custom_fields, search_text, created_at, updated_at)
SELECT o.id, f.name, l.name,
       'user' || s.n || '@bench.example', 'user' || s.n || '@bench.example', 'P' || s.n,
       CASE WHEN s.n % 7 = 0 THEN 'Werkstudent' ELSE '' END,
       CASE WHEN s.n % 50 = 0 THEN 'collaborator' ELSE 'reader' END,
       CASE WHEN s.n % 5 = 0 THEN 'casual' ELSE 'power' END,
       CASE WHEN s.n % 3 = 0 THEN 'active' ELSE 'added' END,
       0, '{}',
       lower(f.name || ' ' || l.name || ' user' || s.n || '@bench.example p' || s.n ||
             CASE WHEN s.n % 7 = 0 THEN ' werkstudent' ELSE '' END),
       1700000000000 + s.n, 1700000000000 + s.n
FROM SERIES s
JOIN firsts f ON f.i = s.n % 20
JOIN lasts l ON l.i = (s.n / 20) % 25
JOIN organizations o ON o.slug = 'bench';
