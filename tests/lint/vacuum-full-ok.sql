-- vacuum-full-ok
-- Revision ID: c98d1862d
-- Revises:
-- Transactional: no

-- migrate:up
VACUUM (ANALYZE) users;

-- migrate:down
SELECT 1;
