-- update-without-where
-- Revision ID: cbd13c689
-- Revises:
-- Transactional: yes

-- migrate:up
UPDATE users SET active = true;

-- migrate:down
SELECT 1;
-- expect: update-without-where 7:1
