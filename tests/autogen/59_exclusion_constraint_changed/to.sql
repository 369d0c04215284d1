CREATE TYPE seat_range AS RANGE (subtype = integer);
CREATE TABLE booking (id integer PRIMARY KEY, during tsrange, active boolean, seats seat_range,
                      CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&) WHERE (active),
                      CONSTRAINT booking_seats EXCLUDE USING gist (seats WITH &&));
