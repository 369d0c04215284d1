CREATE FUNCTION add_state(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;
CREATE AGGREGATE my_sum(integer) (SFUNC = add_state, STYPE = integer, INITCOND = '0');
COMMENT ON AGGREGATE my_sum(integer) IS 'adds';
CREATE TABLE n (v integer);
CREATE VIEW total AS SELECT my_sum(v) AS s FROM n;
