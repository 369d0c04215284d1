-- A domain check added NOT VALID (rows of its columns are not checked):
-- CREATE DOMAIN cannot say NOT VALID, ALTER DOMAIN ... ADD CONSTRAINT can;
-- validated later with ALTER DOMAIN ... VALIDATE CONSTRAINT.
CREATE DOMAIN percent AS integer;
ALTER DOMAIN percent ADD CONSTRAINT percent_range CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN code AS text;
ALTER DOMAIN code ADD CONSTRAINT code_upper CHECK (VALUE = upper(VALUE)) NOT VALID;
CREATE DOMAIN grade AS smallint;
ALTER DOMAIN grade ADD CONSTRAINT grade_range CHECK (VALUE BETWEEN 1 AND 6) NOT VALID;
ALTER DOMAIN grade ADD CONSTRAINT grade_not_zero CHECK (VALUE <> 0);
CREATE TABLE score (id integer PRIMARY KEY, pct percent, c code, g grade);
INSERT INTO score VALUES (1, 50, 'A', 2);
