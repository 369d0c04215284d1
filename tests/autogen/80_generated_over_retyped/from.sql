-- A generated column over a column whose type changes, with an index on it.
CREATE TABLE g (id integer, price integer, qty integer,
    total integer GENERATED ALWAYS AS (price * qty) STORED);
CREATE INDEX g_total ON g (total);
INSERT INTO g (id, price, qty) VALUES (1, 2, 3);
