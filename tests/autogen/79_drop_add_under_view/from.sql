-- A column renamed the way the differ sees it (dropped and added) under a view.
CREATE TABLE u (id integer, name text, extra integer);
CREATE VIEW uv AS SELECT id, name FROM u;
