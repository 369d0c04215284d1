CREATE TABLE items (id integer PRIMARY KEY, name text, price numeric(10,2) NOT NULL DEFAULT 0, tags text[], active boolean DEFAULT true);
