-- rename-column
-- Revision ID: c46caaaaf
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users RENAME COLUMN name TO full_name;

-- migrate:down
SELECT 1;
-- expect: rename-column 7:1
