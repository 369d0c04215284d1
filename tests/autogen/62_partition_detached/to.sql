CREATE TABLE readings (
    sensor integer NOT NULL,
    at timestamptz NOT NULL,
    value double precision CHECK (value > -273.15),
    PRIMARY KEY (sensor, at)
) PARTITION BY RANGE (at);
CREATE INDEX readings_value ON readings (value);
CREATE INDEX readings_at_brin ON readings USING brin (at);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
-- the archive keeps its key and the check, under its own index name
CREATE TABLE readings_2023 (
    sensor integer NOT NULL,
    at timestamptz NOT NULL,
    value double precision,
    extra text,
    CONSTRAINT readings_value_check CHECK (value > -273.15),
    CONSTRAINT readings_2023_pkey PRIMARY KEY (sensor, at)
);
CREATE INDEX readings_2023_by_value ON readings_2023 (value);
