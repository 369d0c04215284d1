CREATE TABLE g (id integer, price bigint, qty integer,
    total bigint GENERATED ALWAYS AS (price * qty) STORED);
CREATE INDEX g_total ON g (total);
