-- Column storage, compression and statistics targets: set, changed, reset,
-- and on a new table.
CREATE TABLE doc (id integer, body text, meta jsonb, n integer);
ALTER TABLE doc ALTER COLUMN id SET STATISTICS 50;
ALTER TABLE doc ALTER COLUMN n SET STATISTICS 200;
