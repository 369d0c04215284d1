-- update-without-where
-- Revision ID: cbd13c689
-- Revises:
-- Transactional: yes

-- migrate:up
UPDATE users SET active = true;
UPDATE orders SET total = (SELECT sum(amount) FROM lines WHERE lines.order_id = orders.id);

-- migrate:down
SELECT 1;
-- expect: update-without-where 7:1
-- expect: update-without-where 8:1
