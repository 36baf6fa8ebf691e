-- After bench/seed-members.sql: every seeded member came from the
-- directory, with a userName (u<n>@corp.example, not its e-mail) and an
-- externalId (ext-<n>), where <n> is the n of the member's e-mail.
UPDATE members
SET directory = 1,
    scim_user_name = 'u' || substr(email, 5, length(email) - 18) || '@corp.example',
    scim_user_name_key = 'u' || substr(email, 5, length(email) - 18) || '@corp.example',
    external_id = 'ext-' || substr(email, 5, length(email) - 18)
WHERE email LIKE 'user%@bench.example';
