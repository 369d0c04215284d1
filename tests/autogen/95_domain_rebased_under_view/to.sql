-- A domain whose base type changes (ALTER DOMAIN cannot): swapped, the
-- column using it and the domain over it moved, the view over the column
-- dropped before and made again after.
CREATE DOMAIN positive AS bigint CHECK (VALUE > 0);
CREATE DOMAIN small_positive AS positive CHECK (VALUE < 1000);
CREATE TABLE people (id integer PRIMARY KEY, age positive, shoe small_positive DEFAULT 40);
CREATE VIEW adults AS SELECT id, age FROM people WHERE age >= 18;
