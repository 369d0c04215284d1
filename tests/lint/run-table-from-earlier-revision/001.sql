-- run-table-from-earlier-revision: 001
-- Revision ID: r001
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE events (id bigint PRIMARY KEY, kind text);

-- migrate:down
SELECT 1;
