CREATE TABLE parent (id integer PRIMARY KEY, code text NOT NULL);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));
