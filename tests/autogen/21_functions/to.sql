CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT i + 2 $$;
CREATE FUNCTION greet(name text, punct text DEFAULT '!') RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 'hello ' || name || punct; END $$;
CREATE PROCEDURE reset_all() LANGUAGE sql AS $$ SELECT 1 $$;
