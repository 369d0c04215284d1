CREATE TABLE u (id integer, full_name text, extra integer);
CREATE VIEW uv AS SELECT id, full_name FROM u;
