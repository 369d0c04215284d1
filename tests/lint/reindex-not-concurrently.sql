-- reindex-not-concurrently
-- Revision ID: cf9ceab0e
-- Revises:
-- Transactional: yes

-- migrate:up
REINDEX TABLE users;

-- migrate:down
SELECT 1;
-- expect: reindex-not-concurrently 7:1
