-- missing-lock-timeout
-- Revision ID: c41e65fb1
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE notes (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN avatar text;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
-- expect: missing-lock-timeout 8:1
