-- drop-table-ok
-- Revision ID: c05473aa8
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE import_batch (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb);
DROP TABLE import_batch;

-- migrate:down
SELECT 1;
