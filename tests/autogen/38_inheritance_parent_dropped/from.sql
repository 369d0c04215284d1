CREATE TABLE animal (id integer, name text);
CREATE TABLE dog (breed text) INHERITS (animal);
CREATE TABLE zoo (id integer);
