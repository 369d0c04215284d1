-- An inheritance parent gains a column (its children get it too) and a
-- check its children inherit; a child gains a column of its own.
CREATE TABLE vehicle (id integer PRIMARY KEY, wheels integer NOT NULL, registered date, CONSTRAINT vehicle_wheels CHECK (wheels > 0));
CREATE TABLE car (seats integer, electric boolean DEFAULT false) INHERITS (vehicle);
CREATE TABLE truck (payload numeric) INHERITS (vehicle);
INSERT INTO car VALUES (1, 4, NULL, 5, false);
