-- update-without-where-ok
-- Revision ID: c729dbc93
-- Revises:
-- Transactional: yes

-- migrate:up
UPDATE users SET active = true WHERE last_login > now() - interval '1 year';

-- migrate:down
SELECT 1;
