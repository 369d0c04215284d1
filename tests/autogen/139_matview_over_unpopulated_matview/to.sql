-- Materialized views declared WITH NO DATA (refreshed by a job, not by
-- the migration): one made again over another that was never refreshed
-- is made WITH NO DATA too, as the schema file says, which the server
-- requires of a view over an unpopulated one.
CREATE TABLE sale (id integer PRIMARY KEY, region text NOT NULL, amount numeric NOT NULL);
CREATE MATERIALIZED VIEW region_total AS SELECT region, sum(amount) AS total FROM sale GROUP BY region WITH NO DATA;
CREATE MATERIALIZED VIEW top_region AS SELECT region, total FROM region_total ORDER BY total DESC LIMIT 3 WITH NO DATA;
