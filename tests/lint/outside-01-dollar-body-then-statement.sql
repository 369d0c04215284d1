-- dollar-body
-- Revision ID: o01
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- DROP TABLE inside; ignored
  EXECUTE 'TRUNCATE x';
  RETURN NEW;
END $fn$; TRUNCATE audit_log;
CREATE FUNCTION f2() RETURNS text LANGUAGE sql AS $$ SELECT ';' $$; DELETE FROM sessions;

-- migrate:down
SELECT 1;
-- expect: truncate 12:11
-- expect: delete-without-where 13:69
