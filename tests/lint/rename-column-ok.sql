-- rename-column-ok
-- Revision ID: c781ac8e1
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE profiles (id bigint PRIMARY KEY, nick text);
ALTER TABLE profiles RENAME COLUMN nick TO nickname;

-- migrate:down
SELECT 1;
