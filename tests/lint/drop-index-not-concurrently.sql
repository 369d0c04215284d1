-- drop-index-not-concurrently
-- Revision ID: c4d29eac9
-- Revises:
-- Transactional: yes

-- migrate:up
DROP INDEX users_email_idx;

-- migrate:down
SELECT 1;
-- expect: drop-index-not-concurrently 7:1
