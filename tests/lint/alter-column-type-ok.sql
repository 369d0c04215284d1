-- alter-column-type-ok
-- Revision ID: c1b6b826e
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE carts (id bigint PRIMARY KEY, total integer);
ALTER TABLE carts ALTER COLUMN total TYPE numeric(12,2);

-- migrate:down
SELECT 1;
