-- drop-column
-- Revision ID: c225d1dd6
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users DROP COLUMN nickname;

-- migrate:down
SELECT 1;
-- expect: drop-column 7:19
