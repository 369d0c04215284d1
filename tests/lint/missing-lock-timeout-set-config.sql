-- missing-lock-timeout-set-config
-- Revision ID: c41e65fb5
-- Revises:
-- Transactional: no

-- migrate:up
-- In a 'Transactional: no' revision each statement commits on its own, so
-- a transaction-local lock_timeout is gone before the next statement.
SELECT set_config('lock_timeout', '5s', true);
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ADD COLUMN bio2 text;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
-- expect: missing-lock-timeout 11:1
