-- Checked from outside: a partial unique index with INCLUDE whose
-- predicate and included columns change; another made on a new column.
CREATE TABLE member (id integer, email text, active boolean, name text);
CREATE UNIQUE INDEX member_email ON member (lower(email)) INCLUDE (name) WHERE active;
