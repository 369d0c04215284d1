-- syntax-crlf
-- Revision ID: o22
-- Revises:
-- Transactional: yes

-- migrate:up
SELECT 1;
ALTER TABLE users ADD COLUMN;
	DROP TABLE x;

-- migrate:down
SELECT 1;
-- expect: syntax-error 8:29
-- expect: drop-table 9:2
