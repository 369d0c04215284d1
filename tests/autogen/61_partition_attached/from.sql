-- A table of last year's orders becomes a partition of orders: it is
-- attached (its rows stay), its columns made like the parent's first.
CREATE TABLE orders (
    id bigint NOT NULL,
    placed date NOT NULL,
    total numeric(12,2) DEFAULT 0,
    CONSTRAINT total_positive CHECK (total >= 0),
    PRIMARY KEY (id, placed)
) PARTITION BY RANGE (placed);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 (id bigint NOT NULL, placed date, total numeric(12,2), note text);
INSERT INTO orders_2025 VALUES (1, '2025-03-01', 10, 'first');
