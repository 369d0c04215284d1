-- truncate
-- Revision ID: ca8a8bf1f
-- Revises:
-- Transactional: yes

-- migrate:up
TRUNCATE audit_log;

-- migrate:down
SELECT 1;
-- expect: truncate 7:1
