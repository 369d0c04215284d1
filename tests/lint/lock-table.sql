-- lock-table
-- Revision ID: c2f337ca0
-- Revises:
-- Transactional: yes

-- migrate:up
LOCK TABLE users IN ACCESS EXCLUSIVE MODE;

-- migrate:down
SELECT 1;
-- expect: lock-table 7:1
