-- The partitioned table goes but one partition stays as a table: it is
-- detached first (dropping the parent would take it along).
CREATE TABLE log (at date NOT NULL, line text) PARTITION BY RANGE (at);
CREATE TABLE log_old PARTITION OF log FOR VALUES FROM (MINVALUE) TO ('2025-01-01');
CREATE TABLE log_new PARTITION OF log FOR VALUES FROM ('2025-01-01') TO (MAXVALUE);
INSERT INTO log VALUES ('2024-05-05', 'kept');
