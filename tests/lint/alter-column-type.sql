-- alter-column-type
-- Revision ID: c94b51e9b
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ALTER COLUMN total TYPE numeric;

-- migrate:down
SELECT 1;
-- expect: alter-column-type 7:33
