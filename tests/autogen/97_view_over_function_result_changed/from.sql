-- A function whose result type changes is dropped and made again: the
-- views that call it (and those over them) are dropped before and made
-- again after, though their text stays the same.
CREATE TABLE t (a integer);
CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE VIEW doubled AS SELECT twice(a) AS d FROM t;
CREATE VIEW doubled_big AS SELECT d FROM doubled WHERE d > 100;
