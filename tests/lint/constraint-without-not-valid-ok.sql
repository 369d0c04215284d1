-- constraint-without-not-valid-ok
-- Revision ID: cfd0ad13a
-- Revises:
-- Transactional: no

-- migrate:up
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;

-- migrate:down
SELECT 1;
