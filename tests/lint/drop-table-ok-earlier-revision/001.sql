-- drop-table-ok-earlier-revision: 001
-- Revision ID: r001
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE import_batch (id bigint PRIMARY KEY, payload jsonb);

-- migrate:down
SELECT 1;
