-- missing-lock-timeout-ok
-- Revision ID: c35b13f87
-- Revises:
-- Transactional: yes

-- migrate:up
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
