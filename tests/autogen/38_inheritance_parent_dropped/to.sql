CREATE TABLE zoo (id integer, animals integer DEFAULT 0);
