-- Checked from outside: a materialized view with an index (and a comment)
-- over a table whose column changes type and another is dropped; a view
-- over the materialized view.
CREATE TABLE sale (id integer PRIMARY KEY, amount integer, region text, note text);
CREATE MATERIALIZED VIEW sale_total AS SELECT region, sum(amount) AS total FROM sale GROUP BY region;
CREATE UNIQUE INDEX sale_total_region ON sale_total (region);
COMMENT ON MATERIALIZED VIEW sale_total IS 'totals';
CREATE VIEW big_region AS SELECT region FROM sale_total WHERE total > 100;
