CREATE TABLE people (id integer PRIMARY KEY, first text, middle text, last text, age smallint);
