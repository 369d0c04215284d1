CREATE EXTENSION hstore VERSION '1.7';
CREATE EXTENSION citext VERSION '1.5';
COMMENT ON EXTENSION citext IS 'case-insensitive text';
CREATE TABLE kv (id integer, h hstore, email citext);
