-- Attributes dropped, added and retyped in place (no column uses the
-- retyped one's type), and a view reading an attribute of a column of a
-- type that changes: the view is dropped around the change.
CREATE TYPE point3 AS (x integer, y integer, z integer);
CREATE TYPE label AS (code varchar(10), note text);
CREATE TABLE shape (id integer PRIMARY KEY, p point3);
CREATE VIEW shape_x AS SELECT id, (p).x AS x FROM shape;
