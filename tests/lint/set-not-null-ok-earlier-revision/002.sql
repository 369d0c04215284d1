-- set-not-null-ok-earlier-revision: 002
-- Revision ID: r002
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- migrate:down
SELECT 1;
