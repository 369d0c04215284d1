-- lint-ignore-without-reason
-- Revision ID: ccb6508c3
-- Revises:
-- Transactional: yes

-- migrate:up
-- ultramigrate:lint-ignore drop-table
DROP TABLE users;

-- migrate:down
SELECT 1;
-- expect: lint-ignore-without-reason 7:1
