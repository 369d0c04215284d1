-- An enum label removed under an array column and a view; the down
-- section adds it back and a partial index uses it at once, which
-- PostgreSQL refuses after ADD VALUE in the same transaction.
CREATE TYPE size AS ENUM ('s', 'm', 'l', 'xl');
CREATE TABLE shirt (id integer, sizes size[] DEFAULT '{s}', one size DEFAULT 'm');
CREATE VIEW shirt_sizes AS SELECT id, sizes FROM shirt;
CREATE INDEX shirt_one ON shirt (one) WHERE one <> 'xl';
INSERT INTO shirt VALUES (1, '{s,m}', 'l');
