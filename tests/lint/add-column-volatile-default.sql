-- add-column-volatile-default
-- Revision ID: c53e54e30
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN seq bigserial;

-- migrate:down
SELECT 1;
-- expect: add-column-volatile-default 7:30
-- expect: add-column-volatile-default 8:30
-- expect: serial-column 8:34
