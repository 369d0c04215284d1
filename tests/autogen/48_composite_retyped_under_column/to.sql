CREATE TYPE price AS (amount numeric(12,2), currency text);
CREATE TYPE pair AS (b text, a integer);
CREATE TABLE item (id integer PRIMARY KEY, cost price DEFAULT ROW(0, 'EUR')::price, p pair);
CREATE VIEW item_cost AS SELECT id, (cost).amount AS amount FROM item;
