CREATE TABLE cache (k text PRIMARY KEY, v text);
CREATE UNLOGGED TABLE journal (id integer);
CREATE UNLOGGED TABLE scratch (x integer);
