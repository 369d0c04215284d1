-- A nondeterministic ICU collation, new, used by a column.
CREATE TABLE person (id integer, name text);
