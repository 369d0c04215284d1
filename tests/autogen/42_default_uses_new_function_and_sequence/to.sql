CREATE SEQUENCE invoice_no START WITH 1000;
CREATE FUNCTION invoice_code(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'INV-' || n $$;
CREATE TABLE invoice (id integer DEFAULT nextval('invoice_no'), code text DEFAULT invoice_code(currval('invoice_no')));
