-- lock-table-ok
-- Revision ID: c6045a794
-- Revises:
-- Transactional: yes

-- migrate:up
LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE;

-- migrate:down
SELECT 1;
