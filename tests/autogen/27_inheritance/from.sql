CREATE TABLE vehicle (id integer, wheels integer);
CREATE TABLE car (seats integer) INHERITS (vehicle);
