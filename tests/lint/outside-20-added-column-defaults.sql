-- volatile
-- Revision ID: o20
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD COLUMN token text DEFAULT md5(random()::text);
ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now() NOT NULL;
ALTER TABLE users ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE users ADD COLUMN total numeric GENERATED ALWAYS AS (a + b) STORED;
ALTER TABLE users ADD COLUMN code char(3);

-- migrate:down
SELECT 1;
-- expect: add-column-volatile-default 7:30
-- expect: add-column-volatile-default 9:30
-- expect: add-column-volatile-default 10:30
-- expect: char-length-limit 11:35
