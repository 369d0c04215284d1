-- A rule on a table.
CREATE TABLE audit (id integer, v text);
CREATE TABLE item (id integer, v text);
