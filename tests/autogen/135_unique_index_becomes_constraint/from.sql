-- A unique index becomes a unique constraint of the same name (and a
-- foreign key that used the index uses the constraint), a check becomes
-- NOT NULL, and an index changes its INCLUDE columns and predicate.
CREATE TABLE customer (id integer PRIMARY KEY, email text, region text, active boolean, CONSTRAINT customer_region_set CHECK (region IS NOT NULL));
CREATE UNIQUE INDEX customer_email_key ON customer (email);
CREATE TABLE newsletter (id integer PRIMARY KEY, email text REFERENCES customer (email));
CREATE INDEX customer_region ON customer (region) INCLUDE (email) WHERE active;
