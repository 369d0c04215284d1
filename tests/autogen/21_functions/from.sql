CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i + 1 $$;
CREATE FUNCTION obsolete() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'x'; END $$;
