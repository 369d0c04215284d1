-- Full-text search: a generated tsvector column with a GIN index whose
-- expression gains weights (the column is dropped and added, its index
-- with it), and a title column that widens under it.
CREATE TABLE article (
    id integer PRIMARY KEY,
    title text,
    body text,
    search tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED
);
CREATE INDEX article_search ON article USING gin (search);
CREATE INDEX article_title_trgm ON article (lower(title) text_pattern_ops);
INSERT INTO article (id, title, body) VALUES (1, 'Hello', 'World');
