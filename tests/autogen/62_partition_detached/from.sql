-- An old partition becomes a table of its own: detached (its rows stay);
-- what it had from its parent becomes its own, kept where the table is to
-- have it (renamed to the schema's names), dropped where not.
CREATE TABLE readings (
    sensor integer NOT NULL,
    at timestamptz NOT NULL,
    value double precision CHECK (value > -273.15),
    PRIMARY KEY (sensor, at)
) PARTITION BY RANGE (at);
CREATE INDEX readings_value ON readings (value);
CREATE INDEX readings_at_brin ON readings USING brin (at);
CREATE TABLE readings_2023 PARTITION OF readings FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO readings VALUES (1, '2023-06-01', 20.5), (1, '2024-06-01', 21.5);
