-- lossy-type-change
-- Revision ID: c1052cca7
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);
ALTER TABLE orders ALTER COLUMN quantity TYPE smallint;

-- migrate:down
SELECT 1;
-- expect: lossy-type-change 7:33
-- expect: lossy-type-change 8:33
