-- Domain defaults that call functions: one whose function changes its
-- result type (the default goes first and comes back), a new domain whose
-- default calls a new function (set once the function is made).
CREATE FUNCTION default_priority() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 3::bigint';
CREATE DOMAIN priority AS bigint DEFAULT default_priority() CHECK (VALUE BETWEEN 1 AND 5);
CREATE FUNCTION new_ref() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'R-' || floor(random() * 1000000)::text $$;
CREATE DOMAIN ref_code AS text DEFAULT new_ref();
CREATE TABLE ticket (id integer PRIMARY KEY, p priority, ref ref_code);
