CREATE TABLE sales (region text NOT NULL, day date NOT NULL, amount integer CHECK (amount > 0))
    PARTITION BY LIST (region);
CREATE INDEX sales_day ON sales (day);
CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('eu') PARTITION BY RANGE (day);
CREATE UNIQUE INDEX sales_eu_region_day ON sales_eu (region, day);
CREATE TABLE sales_eu_2024 PARTITION OF sales_eu FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE sales_eu_2025 PARTITION OF sales_eu FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
