-- missing-lock-timeout-set-config-zero
-- Revision ID: c41e65fb6
-- Revises:
-- Transactional: yes

-- migrate:up
-- Set for the session, then put back to 0 ("wait forever") by the last call.
SELECT set_config('lock_timeout', '5s', false), 1;
SELECT now(), set_config('lock_timeout', '0', false);
ALTER TABLE users ADD COLUMN bio3 text;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
-- expect: missing-lock-timeout 10:1
