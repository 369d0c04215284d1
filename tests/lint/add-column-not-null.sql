-- add-column-not-null
-- Revision ID: c0895ca6e
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD COLUMN plan text NOT NULL;

-- migrate:down
SELECT 1;
-- expect: add-column-not-null 7:30
