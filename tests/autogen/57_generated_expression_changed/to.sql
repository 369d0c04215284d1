CREATE TABLE box (w integer, h integer, area integer GENERATED ALWAYS AS (w * h * 2) STORED);
CREATE INDEX box_area ON box (area);
CREATE VIEW big_box AS SELECT w, h, area FROM box WHERE area > 10;
