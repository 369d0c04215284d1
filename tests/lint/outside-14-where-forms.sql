-- where-forms
-- Revision ID: o14
-- Revises:
-- Transactional: yes

-- migrate:up
UPDATE orders SET total = (SELECT sum(x) FROM lines WHERE lines.o = orders.id);
UPDATE orders o SET total = 0 FROM lines l WHERE l.o = o.id;
DELETE FROM orders USING lines;
WITH a AS (SELECT 1), gone AS (
    DELETE FROM carts RETURNING id)
SELECT count(*) FROM gone;
DELETE FROM orders WHERE false;

-- migrate:down
SELECT 1;
-- expect: update-without-where 7:1
-- expect: delete-without-where 9:1
-- expect: delete-without-where 11:17
