-- drop-index-not-concurrently-ok
-- Revision ID: cfd3a83bf
-- Revises:
-- Transactional: no

-- migrate:up
DROP INDEX CONCURRENTLY users_email_idx;

-- migrate:down
SELECT 1;
