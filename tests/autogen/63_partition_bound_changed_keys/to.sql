CREATE TABLE visits (
    id bigint NOT NULL,
    day date NOT NULL,
    page text NOT NULL,
    PRIMARY KEY (id, day)
) PARTITION BY RANGE (day);
CREATE INDEX visits_page ON visits (page);
CREATE TABLE visits_q1 PARTITION OF visits FOR VALUES FROM ('2024-10-01') TO ('2025-04-01');
CREATE TABLE visits_q2 PARTITION OF visits FOR VALUES FROM ('2025-04-01') TO ('2025-10-01');
