-- syntax-error-ok
-- Revision ID: c8b309ff8
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
SELECT E'it\'s; fine', "odd;name" FROM (SELECT 1 AS "odd;name") s; /* nested /* ; */ comment */

-- migrate:down
SELECT 1;
