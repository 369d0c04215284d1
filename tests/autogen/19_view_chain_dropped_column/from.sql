CREATE TABLE base (id integer, a text, b text);
CREATE VIEW v1 AS SELECT id, a, b FROM base;
CREATE VIEW v2 AS SELECT id, b FROM v1;
