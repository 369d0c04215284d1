-- A btree index replaced by a trigram GIN index whose operator class an
-- extension brings (made before it, dropped after it on the way back).
CREATE EXTENSION pg_trgm SCHEMA public;
CREATE TABLE city (id integer PRIMARY KEY, name text NOT NULL);
CREATE INDEX city_name ON city USING gin (name public.gin_trgm_ops);
CREATE INDEX city_name_lower ON city USING gist (lower(name) public.gist_trgm_ops);
