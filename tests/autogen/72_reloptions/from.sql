-- Storage parameters of a table (set, changed, reset) and of an index.
CREATE TABLE hot (id integer PRIMARY KEY, v text) WITH (fillfactor = 70);
CREATE INDEX hot_v ON hot (v);
