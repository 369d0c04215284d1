-- drop-table
-- Revision ID: c679caa3c
-- Revises:
-- Transactional: yes

-- migrate:up
DROP TABLE users;

-- migrate:down
SELECT 1;
-- expect: drop-table 7:1
