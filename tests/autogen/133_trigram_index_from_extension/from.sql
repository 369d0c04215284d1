-- A btree index replaced by a trigram GIN index whose operator class an
-- extension brings (made before it, dropped after it on the way back).
CREATE TABLE city (id integer PRIMARY KEY, name text NOT NULL);
CREATE INDEX city_name ON city (name);
