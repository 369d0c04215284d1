-- PostgreSQL has no cast between two range types: a column that goes
-- from one to another (or to a user range type) is cast through text.
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE bookings (
  id integer PRIMARY KEY,
  during tstzrange,
  days tsrange[],
  score floatrange
);
