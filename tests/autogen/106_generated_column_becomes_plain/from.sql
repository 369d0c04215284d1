-- A stored generated column that becomes a plain one keeps its values
-- (DROP EXPRESSION), even while a column it read changes type; the other
-- way is a drop and an add.
CREATE TABLE line (
    id integer PRIMARY KEY,
    qty integer NOT NULL,
    price numeric(10,2) NOT NULL,
    total numeric(12,2) GENERATED ALWAYS AS (qty * price) STORED,
    label text
);
CREATE INDEX line_total ON line (total);
CREATE VIEW big_lines AS SELECT id, total FROM line WHERE total > 100;
INSERT INTO line (id, qty, price, label) VALUES (1, 3, 50, 'x');
