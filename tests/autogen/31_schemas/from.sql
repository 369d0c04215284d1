CREATE SCHEMA legacy;
CREATE TABLE legacy.old (id integer);
