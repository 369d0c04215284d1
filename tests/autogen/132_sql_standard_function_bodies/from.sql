-- SQL-standard function bodies (BEGIN ATOMIC, RETURN) are parsed when
-- made and depend on the columns they read: one over a column that changes
-- type is dropped before and made again after, one over a table that is
-- new is made after it, one that stops reading a column dropped is
-- replaced before the drop.
CREATE TABLE invoice (id integer PRIMARY KEY, amount integer NOT NULL, legacy_code text);
CREATE FUNCTION invoice_total() RETURNS numeric LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT sum(amount) FROM invoice;
END;
CREATE FUNCTION invoice_code(p_id integer) RETURNS text LANGUAGE sql STABLE
    RETURN (SELECT legacy_code FROM invoice WHERE id = p_id);
CREATE FUNCTION double_it(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 2;
CREATE VIEW invoice_summary AS SELECT invoice_total() AS total;
