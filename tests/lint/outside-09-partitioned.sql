-- partitioned
-- Revision ID: o09
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE measurements (at timestamptz NOT NULL, v bigint) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON measurements (at);
CREATE INDEX ON measurements_2024 (v);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON events_2024 (at);
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;
ALTER TABLE events DETACH PARTITION events_2022;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
-- expect: missing-lock-timeout 11:1
-- expect: concurrently-in-transaction 13:20
