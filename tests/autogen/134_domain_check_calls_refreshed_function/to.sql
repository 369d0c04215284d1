-- A domain check calls a function whose result type changes: the check
-- goes before the function is dropped and comes back after it is made;
-- a new domain's check calls a new function (made after the domains).
CREATE FUNCTION max_len() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 64::bigint';
CREATE DOMAIN short_text AS text CONSTRAINT short_text_len CHECK (length(VALUE) <= max_len());
CREATE FUNCTION is_slug(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT s ~ '^[a-z0-9-]+$' $$;
CREATE DOMAIN slug AS text CONSTRAINT slug_format CHECK (is_slug(VALUE));
CREATE TABLE tag (id integer PRIMARY KEY, label short_text, slug slug);
