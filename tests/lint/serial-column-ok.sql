-- serial-column-ok
-- Revision ID: c18675d8c
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);

-- migrate:down
SELECT 1;
