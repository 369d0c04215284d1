-- drop-table-ok-earlier-revision: 002
-- Revision ID: r002
-- Revises:
-- Transactional: yes

-- migrate:up
DROP TABLE import_batch;

-- migrate:down
SELECT 1;
