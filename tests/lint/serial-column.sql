-- serial-column
-- Revision ID: cf4b1ca1b
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE tags (id bigserial PRIMARY KEY, name text);

-- migrate:down
SELECT 1;
-- expect: serial-column 7:23
