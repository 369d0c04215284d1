-- A sequence's type, direction, bounds, cache and cycle changed; owned by a column.
CREATE SEQUENCE tick AS smallint INCREMENT 2 MAXVALUE 100 CACHE 1 NO CYCLE;
CREATE TABLE t (id integer);
