-- set-not-null-ok-earlier-revision: 001
-- Revision ID: r001
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;

-- migrate:down
SELECT 1;
