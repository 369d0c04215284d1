CREATE TABLE tick (id serial PRIMARY KEY);
CREATE SEQUENCE legacy_seq;
