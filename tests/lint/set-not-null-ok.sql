-- set-not-null-ok
-- Revision ID: c703ec17b
-- Revises:
-- Transactional: no

-- migrate:up
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- migrate:down
SELECT 1;
