CREATE TYPE score_range AS RANGE (subtype = numeric);
CREATE TYPE text_range AS RANGE (subtype = text, collation = "C");
COMMENT ON TYPE text_range IS 'names from .. to';
CREATE TABLE rating (id integer PRIMARY KEY, scores score_range, names text_range,
                     EXCLUDE USING gist (names WITH &&));
