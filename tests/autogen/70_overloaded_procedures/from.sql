-- Overloaded functions and procedures: a new result type, a new overload, a body changed.
CREATE TABLE log (msg text, n integer);
CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION f(a text) RETURNS text LANGUAGE sql AS $$ SELECT a $$;
CREATE PROCEDURE note(m text) LANGUAGE sql AS $$ INSERT INTO log (msg) VALUES (m) $$;
