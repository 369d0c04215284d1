-- Checked from outside: an exclusion constraint whose predicate changes,
-- one added on a new column of a range type made in the same revision.
CREATE TABLE booking (id integer PRIMARY KEY, during tsrange, active boolean,
                      CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&));
