CREATE TABLE sale (id integer PRIMARY KEY, amount numeric(12,2), region text);
CREATE MATERIALIZED VIEW sale_total AS SELECT region, sum(amount) AS total FROM sale GROUP BY region;
CREATE UNIQUE INDEX sale_total_region ON sale_total (region);
CREATE INDEX sale_total_total ON sale_total (total DESC);
COMMENT ON MATERIALIZED VIEW sale_total IS 'totals';
CREATE VIEW big_region AS SELECT region FROM sale_total WHERE total > 100;
