CREATE TABLE log (msg text, n integer);
CREATE FUNCTION f(a integer) RETURNS bigint LANGUAGE sql AS $$ SELECT a::bigint $$;
CREATE FUNCTION f(a text, b text DEFAULT 'x') RETURNS text LANGUAGE sql AS $$ SELECT a || b $$;
CREATE PROCEDURE note(m text) LANGUAGE sql AS $$ INSERT INTO log (msg, n) VALUES (m, 1) $$;
CREATE PROCEDURE note(m text, n integer) LANGUAGE sql AS $$ INSERT INTO log VALUES (m, n) $$;
