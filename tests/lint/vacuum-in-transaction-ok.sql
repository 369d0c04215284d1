-- vacuum-in-transaction-ok
-- Revision ID: cfe7a94d2
-- Revises:
-- Transactional: yes

-- migrate:up
ANALYZE users;

-- migrate:down
SELECT 1;
