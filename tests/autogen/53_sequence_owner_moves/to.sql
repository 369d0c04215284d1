CREATE TABLE legacy (id integer);
CREATE SEQUENCE shared_counter;
CREATE TABLE ledger (n integer DEFAULT nextval('shared_counter'));
ALTER SEQUENCE shared_counter OWNED BY ledger.n;
