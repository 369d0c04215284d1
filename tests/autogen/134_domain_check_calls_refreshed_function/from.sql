-- A domain check calls a function whose result type changes: the check
-- goes before the function is dropped and comes back after it is made;
-- a new domain's check calls a new function (made after the domains).
CREATE FUNCTION max_len() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 64';
CREATE DOMAIN short_text AS text CONSTRAINT short_text_len CHECK (length(VALUE) <= max_len());
CREATE TABLE tag (id integer PRIMARY KEY, label short_text);
