-- reindex-not-concurrently-ok
-- Revision ID: cbed60a51
-- Revises:
-- Transactional: no

-- migrate:up
REINDEX TABLE CONCURRENTLY users;

-- migrate:down
SELECT 1;
