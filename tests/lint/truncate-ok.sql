-- truncate-ok
-- Revision ID: c294dd07f
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE staging_rows (id bigint PRIMARY KEY, raw text);
INSERT INTO staging_rows VALUES (1, 'x');
TRUNCATE staging_rows;

-- migrate:down
SELECT 1;
