-- A domain over a domain: the inner one gains a check and loses its
-- default, the outer one gains a default and NOT NULL; an array of the
-- outer domain is a column too.
CREATE DOMAIN positive_int AS integer CONSTRAINT positive_int_check CHECK (VALUE > 0) CONSTRAINT positive_int_max CHECK (VALUE < 1000000);
CREATE DOMAIN quantity AS positive_int DEFAULT 1 NOT NULL;
CREATE TABLE stock (id integer PRIMARY KEY, qty quantity, history quantity[]);
INSERT INTO stock VALUES (1, 5, '{1,2}');
