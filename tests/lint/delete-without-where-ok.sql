-- delete-without-where-ok
-- Revision ID: c60b36a5e
-- Revises:
-- Transactional: yes

-- migrate:up
DELETE FROM sessions WHERE expires_at < now();
WITH gone AS (DELETE FROM tokens WHERE revoked RETURNING id) SELECT count(*) FROM gone;

-- migrate:down
SELECT 1;
