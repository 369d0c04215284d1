CREATE TABLE vehicle (id integer, wheels integer, color text);
CREATE TABLE car (seats integer, doors integer) INHERITS (vehicle);
CREATE TABLE bike (gears integer) INHERITS (vehicle);
