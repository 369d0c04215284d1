-- validate-in-same-transaction-ok: 001
-- Revision ID: r001
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;

-- migrate:down
SELECT 1;
