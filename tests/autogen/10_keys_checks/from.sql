CREATE TABLE k (id integer NOT NULL, code text, qty integer);
