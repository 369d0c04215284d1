-- A key and the foreign key over it change to a type with no cast from the
-- old one (integer to uuid): the values go through text, and the foreign
-- key is dropped before and added again after (its two ends could not
-- differ in between).
CREATE TABLE t (id integer PRIMARY KEY, code integer);
CREATE TABLE child (id integer PRIMARY KEY, t_id integer REFERENCES t);
CREATE INDEX child_t ON child (t_id);
