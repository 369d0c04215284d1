-- SQL-standard function bodies (BEGIN ATOMIC, RETURN) are parsed when
-- made and depend on the columns they read: one over a column that changes
-- type is dropped before and made again after, one over a table that is
-- new is made after it, one that stops reading a column dropped is
-- replaced before the drop.
CREATE TABLE invoice (id integer PRIMARY KEY, amount numeric(12,2) NOT NULL);
CREATE TABLE credit_note (id integer PRIMARY KEY, invoice integer REFERENCES invoice (id), amount numeric(12,2));
CREATE FUNCTION invoice_total() RETURNS numeric LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT sum(amount) FROM invoice;
END;
CREATE FUNCTION invoice_code(p_id integer) RETURNS text LANGUAGE sql STABLE
    RETURN 'INV-' || p_id;
CREATE FUNCTION credited(p_invoice integer) RETURNS numeric LANGUAGE sql STABLE
    RETURN (SELECT coalesce(sum(amount), 0) FROM credit_note WHERE invoice = p_invoice);
CREATE FUNCTION double_it(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 2;
CREATE TABLE line (id integer PRIMARY KEY, qty integer, twice integer GENERATED ALWAYS AS (double_it(qty)) STORED);
CREATE VIEW invoice_summary AS SELECT invoice_total() AS total;
