-- A list-partitioned table with a default partition holding rows of other
-- values gains a partition (the default is scanned and has none of its
-- rows), and a partition of another table is detached and kept.
CREATE TABLE msg (id integer NOT NULL, lang text NOT NULL, body text) PARTITION BY LIST (lang);
CREATE TABLE msg_en PARTITION OF msg FOR VALUES IN ('en');
CREATE TABLE msg_rest PARTITION OF msg DEFAULT;
CREATE INDEX msg_id ON msg (id);
INSERT INTO msg VALUES (1, 'en', 'hi'), (2, 'fr', 'salut');
CREATE TABLE log (at date NOT NULL, line text) PARTITION BY RANGE (at);
CREATE TABLE log_2024 PARTITION OF log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE log_2025 PARTITION OF log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO log VALUES ('2024-05-01', 'old'), ('2025-05-01', 'new');
