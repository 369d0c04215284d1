CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE TABLE journal (id integer);
