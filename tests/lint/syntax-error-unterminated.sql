-- syntax-error-unterminated
-- Revision ID: c61f89ebc
-- Revises:
-- Transactional: yes

-- migrate:up
DROP TABLE users;
SELECT 'never closed;

-- migrate:down
SELECT 1;
-- expect: drop-table 7:1
-- expect: syntax-error 8:8
