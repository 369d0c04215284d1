-- drop-database
-- Revision ID: c90eaab39
-- Revises:
-- Transactional: yes

-- migrate:up
DROP DATABASE scratch;

-- migrate:down
SELECT 1;
-- expect: drop-database 7:1
