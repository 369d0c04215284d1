-- create-index-not-concurrently
-- Revision ID: c7da2c1bd
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE INDEX users_email_idx ON users (email);

-- migrate:down
SELECT 1;
-- expect: create-index-not-concurrently 7:1
