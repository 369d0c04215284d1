-- Replica identity: a unique index, FULL to NOTHING, and back.
CREATE TABLE r1 (id integer NOT NULL, v text);
CREATE UNIQUE INDEX r1_id ON r1 (id);
CREATE TABLE r2 (id integer);
ALTER TABLE r2 REPLICA IDENTITY FULL;
