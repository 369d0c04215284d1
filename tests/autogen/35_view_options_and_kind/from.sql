CREATE TABLE src (id integer, hidden boolean);
CREATE VIEW visible AS SELECT id FROM src WHERE NOT hidden;
