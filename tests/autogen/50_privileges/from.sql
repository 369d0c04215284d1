-- Privileges (compared with compare_privileges = true): on tables, views,
-- columns, sequences, schemas, functions, procedures and types, granted,
-- revoked, with and without grant option; a default one (EXECUTE, USAGE to
-- PUBLIC) revoked; the roles are the server's, shared by the databases.
DO $$ BEGIN CREATE ROLE um_autogen_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE um_autogen_writer; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('ok', 'sad');
CREATE TABLE app.account (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, secret text);
CREATE SEQUENCE app.ticket;
CREATE VIEW app.account_names AS SELECT id, name FROM app.account;
CREATE FUNCTION app.touch(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1';
CREATE PROCEDURE app.reset() LANGUAGE sql AS 'SELECT 1';
GRANT SELECT, INSERT ON app.account TO um_autogen_writer WITH GRANT OPTION;
GRANT DELETE ON app.account TO um_autogen_reader;
GRANT SELECT (name) ON app.account TO um_autogen_reader;
GRANT USAGE ON SEQUENCE app.ticket TO um_autogen_writer;
GRANT USAGE ON SCHEMA app TO um_autogen_reader;
REVOKE EXECUTE ON FUNCTION app.touch(integer) FROM PUBLIC;
