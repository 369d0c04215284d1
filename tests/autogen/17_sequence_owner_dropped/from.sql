CREATE TABLE tick (id serial PRIMARY KEY, legacy_no integer);
CREATE SEQUENCE legacy_seq OWNED BY tick.legacy_no;
