-- An exclusion constraint over an equality column and a range (btree_gist
-- gives the equality operator class), which gains a WHERE clause and a
-- column; a range column's index changes method.
CREATE EXTENSION btree_gist SCHEMA public;
CREATE TABLE booking (
    id integer PRIMARY KEY,
    room integer NOT NULL,
    seat integer NOT NULL DEFAULT 0,
    during tstzrange NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT booking_no_overlap EXCLUDE USING gist (room WITH =, seat WITH =, during WITH &&) WHERE (NOT cancelled)
);
CREATE INDEX booking_during ON booking USING spgist (during);
