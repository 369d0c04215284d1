CREATE TABLE invoice (id integer, code text);
