-- vacuum-in-transaction
-- Revision ID: c63e061e8
-- Revises:
-- Transactional: yes

-- migrate:up
VACUUM ANALYZE users;

-- migrate:down
SELECT 1;
-- expect: vacuum-in-transaction 7:1
