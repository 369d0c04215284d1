CREATE TYPE point3 AS (x integer, y integer, w text);
CREATE TYPE label AS (code varchar(40), note text, lang text);
COMMENT ON TYPE label IS 'retyped in place';
CREATE TABLE shape (id integer PRIMARY KEY, p point3);
CREATE VIEW shape_x AS SELECT id, (p).x AS x FROM shape;
