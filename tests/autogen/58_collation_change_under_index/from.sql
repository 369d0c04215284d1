-- Checked from outside: a column's collation changes under a unique
-- constraint, an index and a view; another column loses its collation.
CREATE TABLE person (name text COLLATE "C" UNIQUE, code varchar(8) COLLATE "POSIX");
CREATE INDEX person_name_lower ON person (lower(name));
CREATE VIEW person_names AS SELECT name FROM person;
