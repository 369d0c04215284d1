CREATE TABLE price (id integer PRIMARY KEY, amount numeric(12,2), label text);
CREATE VIEW price_view AS SELECT id, amount * 2 AS doubled, label FROM price;
