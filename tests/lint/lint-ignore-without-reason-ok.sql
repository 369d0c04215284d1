-- lint-ignore-without-reason-ok
-- Revision ID: ce38f9a3a
-- Revises:
-- Transactional: yes

-- migrate:up
-- ultramigrate:lint-ignore drop-table replaced by accounts in r41, data copied
DROP TABLE users;

-- migrate:down
SELECT 1;
