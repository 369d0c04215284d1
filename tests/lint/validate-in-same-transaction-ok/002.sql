-- validate-in-same-transaction-ok: 002
-- Revision ID: r002
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;

-- migrate:down
SELECT 1;
