-- Checked from outside: a stored generated column whose expression
-- changes, with an index on it and a view reading it.
CREATE TABLE box (w integer, h integer, area integer GENERATED ALWAYS AS (w * h) STORED);
CREATE INDEX box_area ON box (area);
CREATE VIEW big_box AS SELECT w, h, area FROM box WHERE area > 10;
INSERT INTO box (w, h) VALUES (2, 3);
