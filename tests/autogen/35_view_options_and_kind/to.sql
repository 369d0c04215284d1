CREATE TABLE src (id integer, hidden boolean);
CREATE VIEW visible WITH (security_barrier = true) AS SELECT id FROM src WHERE NOT hidden WITH CASCADED CHECK OPTION;
