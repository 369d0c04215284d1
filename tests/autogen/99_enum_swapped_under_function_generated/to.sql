-- An enum swapped (a new label used in the same revision) under a function
-- that takes it: the function is dropped before and made again after.
-- Down, a generated column reading a column that goes is dropped first.
CREATE TYPE status AS ENUM ('draft', 'a', 'b', 'c');
CREATE TABLE docs (id int PRIMARY KEY, st status NOT NULL DEFAULT 'draft', body text, title text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED);
CREATE INDEX docs_tsv ON docs USING gin (tsv);
CREATE INDEX docs_st ON docs (st) WHERE st IN ('b', 'c');
CREATE VIEW open_docs AS SELECT id, title, body FROM docs WHERE st IN ('draft', 'a');
CREATE FUNCTION docs_count(s status) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM docs WHERE st = s';
