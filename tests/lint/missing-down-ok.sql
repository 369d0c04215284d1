-- missing-down-ok
-- Revision ID: c92e16165
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE notes (id bigint PRIMARY KEY, body text);

-- migrate:down
DROP TABLE notes;
