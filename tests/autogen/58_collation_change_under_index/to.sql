CREATE TABLE person (name text COLLATE "POSIX" UNIQUE, code varchar(8));
CREATE INDEX person_name_lower ON person (lower(name));
CREATE VIEW person_names AS SELECT name FROM person;
