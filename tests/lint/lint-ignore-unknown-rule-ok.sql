-- lint-ignore-unknown-rule-ok
-- Revision ID: ccd2faea6
-- Revises:
-- Transactional: yes

-- migrate:up
-- ultramigrate:lint-ignore drop-table,truncate archived in ticket 88
DROP TABLE users, audit_log;

-- migrate:down
SELECT 1;
