-- Full-text search: a generated tsvector column with a GIN index whose
-- expression gains weights (the column is dropped and added, its index
-- with it), and a title column that widens under it.
CREATE TABLE article (
    id integer PRIMARY KEY,
    title varchar(200),
    body text,
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED
);
CREATE INDEX article_search ON article USING gin (search);
INSERT INTO article (id, title, body) VALUES (1, 'Hello', 'World');
