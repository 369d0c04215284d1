-- transaction-control-ok
-- Revision ID: c91f047f0
-- Revises:
-- Transactional: yes

-- migrate:up
SAVEPOINT before_bio;
ALTER TABLE users ADD COLUMN bio text;
RELEASE SAVEPOINT before_bio;

-- migrate:down
SELECT 1;
