-- missing-lock-timeout-ok-no-strong-lock
-- Revision ID: c79cce719
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
CREATE INDEX notes_body_idx ON notes (body);
INSERT INTO notes VALUES (1, 'x');

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
