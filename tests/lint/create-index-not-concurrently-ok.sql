-- create-index-not-concurrently-ok
-- Revision ID: ca2d8e4c2
-- Revises:
-- Transactional: no

-- migrate:up
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- migrate:down
SELECT 1;
