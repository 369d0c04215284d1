-- A domain check added NOT VALID (rows of its columns are not checked):
-- CREATE DOMAIN cannot say NOT VALID, ALTER DOMAIN ... ADD CONSTRAINT can;
-- validated later with ALTER DOMAIN ... VALIDATE CONSTRAINT.
CREATE DOMAIN percent AS integer;
ALTER DOMAIN percent ADD CONSTRAINT percent_range CHECK (VALUE BETWEEN 0 AND 100) NOT VALID;
CREATE DOMAIN code AS text CONSTRAINT code_upper CHECK (VALUE = upper(VALUE));
CREATE TABLE score (id integer PRIMARY KEY, pct percent, c code);
INSERT INTO score VALUES (1, 50, 'A');
