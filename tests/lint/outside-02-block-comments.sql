-- comments
-- Revision ID: o02
-- Revises:
-- Transactional: yes

-- migrate:up
/* a block comment; with a semicolon
   spanning ; lines */ DELETE FROM tokens;
/* nested /* comment ; */ still ; comment */   UPDATE users SET a = 1;
-- a line comment; DROP TABLE nope;
	VACUUM FULL users;

-- migrate:down
SELECT 1;
-- expect: delete-without-where 8:24
-- expect: update-without-where 9:48
-- expect: vacuum-in-transaction 11:2
-- expect: vacuum-full 11:2
