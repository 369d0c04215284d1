-- conc-no
-- Revision ID: o10
-- Revises:
-- Transactional: no

-- migrate:up
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
DROP INDEX CONCURRENTLY IF EXISTS users_old_idx;
REINDEX (VERBOSE) INDEX CONCURRENTLY users_name_idx;
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
VACUUM (ANALYZE) users;

-- migrate:down
SELECT 1;
