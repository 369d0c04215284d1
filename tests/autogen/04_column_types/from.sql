CREATE TABLE m (id integer PRIMARY KEY, qty integer, code varchar(10), amount numeric(10,2), note varchar(200));
