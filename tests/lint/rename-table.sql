-- rename-table
-- Revision ID: c9b831325
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users RENAME TO accounts;

-- migrate:down
SELECT 1;
-- expect: rename-table 7:1
