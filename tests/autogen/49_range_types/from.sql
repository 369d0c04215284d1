-- A range type made (used by a column and an exclusion constraint), one
-- dropped, one whose subtype changes under a column (made again: the old
-- one and its multirange renamed, the column moved through text).
CREATE TYPE gone_range AS RANGE (subtype = smallint);
CREATE TYPE score_range AS RANGE (subtype = integer);
CREATE TABLE rating (id integer PRIMARY KEY, scores score_range);
INSERT INTO rating VALUES (1, '[1,5)');
