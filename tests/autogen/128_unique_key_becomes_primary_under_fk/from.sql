-- A unique key becomes the primary key, while foreign keys use it: they
-- are dropped first and added again over the new key.
CREATE TABLE account (id integer NOT NULL, code text NOT NULL, CONSTRAINT account_id_key UNIQUE (id), CONSTRAINT account_pkey PRIMARY KEY (code));
CREATE TABLE login (id integer PRIMARY KEY, account integer REFERENCES account (id));
