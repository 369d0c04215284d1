-- An inheritance parent gains a column (its children get it too) and a
-- check its children inherit; a child gains a column of its own.
CREATE TABLE vehicle (id integer PRIMARY KEY, wheels integer NOT NULL);
CREATE TABLE car (seats integer) INHERITS (vehicle);
CREATE TABLE truck (payload numeric) INHERITS (vehicle);
INSERT INTO car VALUES (1, 4, 5);
