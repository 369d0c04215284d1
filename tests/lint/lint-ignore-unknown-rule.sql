-- lint-ignore-unknown-rule
-- Revision ID: c5295d061
-- Revises:
-- Transactional: yes

-- migrate:up
-- ultramigrate:lint-ignore drop-tables old table
DROP TABLE users;

-- migrate:down
SELECT 1;
-- expect: lint-ignore-unknown-rule 7:1
-- expect: drop-table 8:1
