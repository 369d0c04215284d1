-- A chain of views and a materialized view (with an index) over retyped columns.
CREATE TABLE m (id integer, amount integer, label varchar(10));
CREATE VIEW m1 AS SELECT id, amount, label FROM m;
CREATE VIEW m2 AS SELECT id, amount * 2 AS double FROM m1;
CREATE VIEW m3 AS SELECT count(*) AS n FROM m2;
CREATE MATERIALIZED VIEW m4 AS SELECT id FROM m2;
CREATE UNIQUE INDEX m4_id ON m4 (id);
