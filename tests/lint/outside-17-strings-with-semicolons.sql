-- estring
-- Revision ID: o17
-- Revises:
-- Transactional: yes

-- migrate:up
SELECT E'it\'s; DROP TABLE x', 'it''s; ok', $tag$ ; $notag$ ; $tag$;
TRUNCATE "semi;colon";
SELECT U&'\0441\043B\043E\043D' AS "a;b"; DELETE FROM t2;

-- migrate:down
SELECT 1;
-- expect: truncate 8:1
-- expect: delete-without-where 9:43
