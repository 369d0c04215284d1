-- A materialized view made WITH NO DATA (refreshed later), with a unique
-- index for REFRESH ... CONCURRENTLY; its query changes.
CREATE TABLE sale (id integer PRIMARY KEY, region text NOT NULL, amount numeric NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS SELECT region, sum(amount) AS total, count(*) AS n FROM sale GROUP BY region WITH NO DATA;
CREATE UNIQUE INDEX sales_by_region_region ON sales_by_region (region);
CREATE MATERIALIZED VIEW big_regions AS SELECT region FROM sales_by_region WHERE total > 1000 WITH NO DATA;
