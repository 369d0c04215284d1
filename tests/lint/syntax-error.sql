-- syntax-error
-- Revision ID: c8739a093
-- Revises:
-- Transactional: yes

-- migrate:up
SELECT 1;
CREATE TABLE (oops int);
DROP TABLE users;

-- migrate:down
SELECT 1;
-- expect: syntax-error 8:14
-- expect: drop-table 9:1
