-- Checked from outside: a sequence owned by a column that is dropped
-- stays, and becomes owned by a column of another table (whose default
-- uses it); a serial column's table is dropped with its sequence.
CREATE TABLE legacy (id integer, counter integer);
CREATE SEQUENCE shared_counter OWNED BY legacy.counter;
CREATE TABLE gone (id serial PRIMARY KEY);
