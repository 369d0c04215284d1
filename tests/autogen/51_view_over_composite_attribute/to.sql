CREATE TYPE addr AS (street text, city text);
CREATE TYPE tag AS (k text, v text);
CREATE TABLE customer (id integer PRIMARY KEY, home addr, t tag);
CREATE VIEW customer_city AS SELECT id, (home).city AS city FROM customer;
CREATE VIEW customer_tag AS SELECT id, (t).k AS k, (t).v AS v FROM customer;
