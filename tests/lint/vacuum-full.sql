-- vacuum-full
-- Revision ID: cdaff5f0a
-- Revises:
-- Transactional: no

-- migrate:up
VACUUM FULL users;

-- migrate:down
SELECT 1;
-- expect: vacuum-full 7:1
