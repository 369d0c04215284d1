CREATE TABLE base (id integer, a text);
CREATE VIEW v1 AS SELECT id, a FROM base;
CREATE VIEW v2 AS SELECT id, a FROM v1 WHERE id > 0;
