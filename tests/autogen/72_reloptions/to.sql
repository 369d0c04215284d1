CREATE TABLE hot (id integer PRIMARY KEY, v text) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01, autovacuum_enabled = false);
CREATE INDEX hot_v ON hot (v) WITH (fillfactor = 80);
