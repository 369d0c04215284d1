-- Routine parameters CREATE OR REPLACE cannot change: OUT parameters
-- making another row, a TABLE column and an input parameter renamed, a
-- default removed. Each routine is dropped and made again (with the view
-- over one).
CREATE TABLE orders (id integer PRIMARY KEY, customer integer NOT NULL, total numeric(12,2) NOT NULL);
CREATE FUNCTION order_summary(p_customer integer, OUT n bigint, OUT total numeric, OUT largest numeric)
    LANGUAGE sql STABLE AS $$ SELECT count(*), coalesce(sum(total), 0), max(total) FROM public.orders WHERE customer = p_customer $$;
CREATE FUNCTION split_total(INOUT amount numeric, parts integer)
    LANGUAGE sql IMMUTABLE AS $$ SELECT amount / parts $$;
CREATE FUNCTION customer_orders(p_customer integer)
    RETURNS TABLE (order_id integer, total numeric)
    LANGUAGE sql STABLE AS $$ SELECT id, total FROM public.orders WHERE customer = p_customer $$;
CREATE FUNCTION order_label(order_id integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'order ' || order_id $$;
CREATE VIEW customer_totals AS SELECT c.customer, (public.order_summary(c.customer)).* FROM (SELECT DISTINCT customer FROM orders) c;
