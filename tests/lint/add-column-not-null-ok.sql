-- add-column-not-null-ok
-- Revision ID: c765e131a
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';

-- migrate:down
SELECT 1;
