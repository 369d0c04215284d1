-- A new aggregate over an existing function, with a comment and a view using it.
CREATE FUNCTION add_state(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE TABLE n (v integer);
