-- Checked from outside: a view over an attribute of a column of a
-- composite type whose attribute changes type (a column uses it: the type
-- is swapped), and a second type gains an attribute under another view.
CREATE TYPE addr AS (street text, city varchar(20));
CREATE TYPE tag AS (k text);
CREATE TABLE customer (id integer PRIMARY KEY, home addr, t tag);
CREATE VIEW customer_city AS SELECT id, (home).city AS city FROM customer;
CREATE VIEW customer_tag AS SELECT id, (t).k AS k FROM customer;
INSERT INTO customer VALUES (1, ROW('Main St 1', 'Springfield'), ROW('x'));
