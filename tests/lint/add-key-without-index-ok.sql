-- add-key-without-index-ok
-- Revision ID: c20129273
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;

-- migrate:down
SELECT 1;
