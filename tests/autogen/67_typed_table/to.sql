CREATE TYPE person AS (name text, born date);
CREATE TABLE people OF person (name WITH OPTIONS NOT NULL, born WITH OPTIONS DEFAULT '2000-01-01');
CREATE TABLE folks OF person (born WITH OPTIONS NOT NULL);
CREATE TYPE pet AS (name text, species varchar(20), legs integer, owner text);
CREATE TABLE pets OF pet (name WITH OPTIONS PRIMARY KEY, owner WITH OPTIONS DEFAULT 'nobody');
CREATE VIEW pet_names AS SELECT name, species FROM pets;
CREATE TYPE car AS (make text, year bigint);
CREATE TABLE cars OF car;
CREATE TABLE garage (id integer, c car);
