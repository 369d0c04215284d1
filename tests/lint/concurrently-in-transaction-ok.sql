-- concurrently-in-transaction-ok
-- Revision ID: cf738d224
-- Revises:
-- Transactional: no

-- migrate:up
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
DROP INDEX CONCURRENTLY users_old_email_idx;

-- migrate:down
SELECT 1;
