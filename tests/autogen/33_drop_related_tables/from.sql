CREATE TABLE a (id integer PRIMARY KEY, b_id integer);
CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a (id));
ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id);
CREATE VIEW ab AS SELECT a.id FROM a JOIN b ON b.a_id = a.id;
CREATE TABLE keep (id integer);
