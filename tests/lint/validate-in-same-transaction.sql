-- validate-in-same-transaction
-- Revision ID: c710d36ed
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;

-- migrate:down
SELECT 1;
-- expect: validate-in-same-transaction 8:20
