-- A partition's bound widens: detached and attached again with the new
-- bound, its key, index and rows kept.
CREATE TABLE visits (
    id bigint NOT NULL,
    day date NOT NULL,
    page text NOT NULL,
    PRIMARY KEY (id, day)
) PARTITION BY RANGE (day);
CREATE INDEX visits_page ON visits (page);
CREATE TABLE visits_q1 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2025-04-01');
CREATE TABLE visits_q2 PARTITION OF visits FOR VALUES FROM ('2025-04-01') TO ('2025-07-01');
INSERT INTO visits VALUES (1, '2025-02-01', '/'), (2, '2025-05-01', '/about');
