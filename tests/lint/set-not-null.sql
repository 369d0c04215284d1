-- set-not-null
-- Revision ID: cded14e55
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- migrate:down
SELECT 1;
-- expect: set-not-null 7:19
