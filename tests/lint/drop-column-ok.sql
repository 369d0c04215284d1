-- drop-column-ok
-- Revision ID: ce6d5a5c2
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE drafts (id bigint PRIMARY KEY, body text, tmp text);
ALTER TABLE drafts DROP COLUMN tmp;

-- migrate:down
SELECT 1;
