-- Extensions at a version other than the default: created with it.
CREATE EXTENSION hstore VERSION '1.7';
CREATE TABLE kv (id integer, h hstore);
