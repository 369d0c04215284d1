-- A partitioned table's identity column widens and turns BY DEFAULT, a
-- varchar column under an index and a view over a partition becomes text,
-- and a partition is added.
CREATE TABLE ev (id integer GENERATED ALWAYS AS IDENTITY, at date NOT NULL, note varchar(20)) PARTITION BY RANGE (at);
CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX ev_note ON ev (note);
CREATE VIEW ev_notes AS SELECT note FROM ev_2025;
INSERT INTO ev (at, note) VALUES ('2025-02-02', 'x');
