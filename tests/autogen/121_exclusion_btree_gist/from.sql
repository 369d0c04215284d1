-- An exclusion constraint over an equality column and a range (btree_gist
-- gives the equality operator class), which gains a WHERE clause and a
-- column; a range column's index changes method.
CREATE EXTENSION btree_gist SCHEMA public;
CREATE TABLE booking (
    id integer PRIMARY KEY,
    room integer NOT NULL,
    during tstzrange NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT booking_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE INDEX booking_during ON booking USING gist (during);
