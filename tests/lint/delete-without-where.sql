-- delete-without-where
-- Revision ID: c72ba3323
-- Revises:
-- Transactional: yes

-- migrate:up
DELETE FROM sessions;
WITH gone AS (DELETE FROM tokens RETURNING id) SELECT count(*) FROM gone;

-- migrate:down
SELECT 1;
-- expect: delete-without-where 7:1
-- expect: delete-without-where 8:27
