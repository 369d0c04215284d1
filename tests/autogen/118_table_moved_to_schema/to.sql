-- A table moved to another schema (a drop and a create: renames are not
-- detected), with a foreign key to it and a view over it.
CREATE SCHEMA ref;
CREATE TABLE ref.country (code char(2) PRIMARY KEY, name text NOT NULL);
CREATE TABLE address (id integer PRIMARY KEY, country char(2) REFERENCES ref.country (code));
CREATE VIEW country_names AS SELECT code, name FROM ref.country;
