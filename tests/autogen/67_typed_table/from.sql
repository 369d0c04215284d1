-- Typed tables (CREATE TABLE ... OF): a table that becomes one, a new one,
-- one whose type gains and retypes attributes (ALTER TYPE ... CASCADE,
-- with a view over it), one whose type is swapped (NOT OF, then OF).
CREATE TYPE person AS (name text, born date);
CREATE TABLE people (id integer);
CREATE TYPE pet AS (name text, species varchar(10), legs integer);
CREATE TABLE pets OF pet (name WITH OPTIONS PRIMARY KEY);
CREATE VIEW pet_names AS SELECT name, species FROM pets;
INSERT INTO pets VALUES ('rex', 'dog', 4);
CREATE TYPE car AS (make text, year integer);
CREATE TABLE cars OF car;
CREATE TABLE garage (id integer, c car);
INSERT INTO cars VALUES ('vw', 1990);
