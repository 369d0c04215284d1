-- drop-schema
-- Revision ID: c82036acf
-- Revises:
-- Transactional: yes

-- migrate:up
DROP SCHEMA legacy CASCADE;

-- migrate:down
SELECT 1;
-- expect: drop-schema 7:1
