CREATE TYPE size AS ENUM ('s', 'm', 'l');
CREATE TABLE shirt (id integer, sizes size[] DEFAULT '{s}', one size DEFAULT 'm');
CREATE VIEW shirt_sizes AS SELECT id, sizes FROM shirt;
CREATE INDEX shirt_one ON shirt (one) WHERE one <> 'l';
