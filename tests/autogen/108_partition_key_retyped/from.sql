-- A partition key column cannot change type under its partitioned table:
-- the partitioned table is made again, its partitions detached first,
-- retyped alone and attached again with their rows.
CREATE TABLE event (
    id integer NOT NULL,
    at date NOT NULL,
    payload text,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (id);
CREATE TABLE event_low PARTITION OF event FOR VALUES FROM (0) TO (1000);
CREATE TABLE event_high PARTITION OF event FOR VALUES FROM (1000) TO (MAXVALUE) PARTITION BY RANGE (at);
CREATE TABLE event_high_2025 PARTITION OF event_high FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX event_payload ON event (payload);
COMMENT ON TABLE event IS 'events by id';
CREATE TABLE metric (kind varchar(10) NOT NULL, value double precision) PARTITION BY LIST (kind);
CREATE TABLE metric_cpu PARTITION OF metric FOR VALUES IN ('cpu');
CREATE TABLE metric_other PARTITION OF metric DEFAULT;
CREATE VIEW cpu_values AS SELECT value FROM metric WHERE kind = 'cpu';
INSERT INTO event VALUES (1, '2025-03-01', 'a'), (2000, '2025-04-01', 'b');
INSERT INTO metric VALUES ('cpu', 0.5), ('disk', 3);
