CREATE TABLE other (id integer);
CREATE TABLE metrics (tenant integer NOT NULL, name text, value double precision) PARTITION BY LIST (tenant);
CREATE TABLE metrics_1 PARTITION OF metrics FOR VALUES IN (1);
CREATE TABLE metrics_2 PARTITION OF metrics FOR VALUES IN (2, 3) PARTITION BY HASH (name);
CREATE TABLE metrics_2a PARTITION OF metrics_2 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE metrics_2b PARTITION OF metrics_2 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX metrics_name ON metrics (name);
