-- lossy-type-change-ok: widening is a rewrite, not a loss
-- Revision ID: cbb7a4e58
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;

-- migrate:down
SELECT 1;
-- expect: alter-column-type 7:33
