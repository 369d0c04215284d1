-- Hash partitions: a column, a key and a wider index on the parent.
CREATE TABLE ev (id bigint NOT NULL, v text) PARTITION BY HASH (id);
CREATE TABLE ev_0 PARTITION OF ev FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ev_v ON ev (v);
INSERT INTO ev SELECT g, 'x' FROM generate_series(1, 10) g;
