-- Index options: NULLS NOT DISTINCT, ordering, method, operator class, BRIN with parameters.
CREATE TABLE t (id integer, a text, b integer, tags text[]);
CREATE UNIQUE INDEX t_a ON t (a);
CREATE INDEX t_b ON t (b);
CREATE INDEX t_tags ON t USING gin (tags);
