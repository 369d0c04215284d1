CREATE TABLE keep_me (id integer);
