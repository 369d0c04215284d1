-- crlf
-- Revision ID: o03
-- Revises:
-- Transactional: yes

-- migrate:up
SELECT 1;
	ALTER TABLE users
		DROP COLUMN nick;
  	TRUNCATE t1;

-- migrate:down
SELECT 1;
-- expect: drop-column 9:3
-- expect: truncate 10:4
