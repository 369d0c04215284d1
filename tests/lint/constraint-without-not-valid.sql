-- constraint-without-not-valid
-- Revision ID: c8fed02c7
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);

-- migrate:down
SELECT 1;
-- expect: constraint-without-not-valid 7:24
-- expect: constraint-without-not-valid 8:24
-- expect: constraint-without-not-valid 9:48
