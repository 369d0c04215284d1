CREATE TABLE parent (id integer, code text NOT NULL, CONSTRAINT parent_pkey PRIMARY KEY (id, code));
CREATE UNIQUE INDEX parent_id_uq ON parent (id);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));
