-- create-index-not-concurrently-ok-new-table
-- Revision ID: cad4f041c
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE events (id bigint PRIMARY KEY, kind text);
CREATE INDEX events_kind_idx ON events (kind);

-- migrate:down
SELECT 1;
