-- An attribute retyped while a column uses the type (ALTER ATTRIBUTE is
-- refused): the type is swapped and the column moved through ROW(...);
-- a view over the column is dropped before and made after.  A reordered
-- composite is swapped too.
CREATE TYPE price AS (amount integer, currency text);
CREATE TYPE pair AS (a integer, b text);
CREATE TABLE item (id integer PRIMARY KEY, cost price DEFAULT ROW(0, 'EUR')::price, p pair);
CREATE VIEW item_cost AS SELECT id, (cost).amount AS amount FROM item;
INSERT INTO item VALUES (1, ROW(5, 'USD'), ROW(1, 'x'));
