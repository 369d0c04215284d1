CREATE TABLE t (id integer, a text, b integer, tags text[]);
CREATE UNIQUE INDEX t_a ON t (a) NULLS NOT DISTINCT;
CREATE INDEX t_b ON t (b DESC NULLS LAST);
CREATE INDEX t_tags ON t USING btree (tags);
CREATE INDEX t_a_pattern ON t (a text_pattern_ops);
CREATE INDEX t_b_hash ON t USING hash (b);
CREATE INDEX t_a_brin ON t USING brin (b) WITH (pages_per_range = 32);
