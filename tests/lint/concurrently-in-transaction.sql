-- concurrently-in-transaction
-- Revision ID: cb023b205
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- migrate:down
SELECT 1;
-- expect: concurrently-in-transaction 7:1
