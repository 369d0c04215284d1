-- missing-down
-- Revision ID: cf310cc51
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
-- expect: missing-down 6:1
