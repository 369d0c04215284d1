CREATE TABLE sales (id integer, region text, amount numeric);
CREATE MATERIALIZED VIEW sales_by_region AS SELECT region, sum(amount) AS total, count(*) AS n FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_uq ON sales_by_region (region);
CREATE INDEX sales_by_region_total ON sales_by_region (total);
