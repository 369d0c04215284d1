-- add-column-volatile-default-ok
-- Revision ID: c1f963c88
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- migrate:down
SELECT 1;
