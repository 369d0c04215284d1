-- missing-lock-timeout-ok-set-config
-- Revision ID: c41e65fb4
-- Revises:
-- Transactional: yes

-- migrate:up
-- set_config() is SET's function form; its name is case-insensitive and
-- it may be schema-qualified; is_local = true lasts until the revision's
-- single transaction commits.
SELECT pg_catalog.set_config('Lock_Timeout', '5s', true);
ALTER TABLE users ADD COLUMN bio text;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
