CREATE TABLE price (id integer PRIMARY KEY, amount integer, label varchar(20));
CREATE VIEW price_view AS SELECT id, amount * 2 AS doubled, label FROM price;
