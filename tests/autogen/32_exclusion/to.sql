CREATE TABLE booking (room integer, during tsrange, EXCLUDE USING gist (during WITH &&));
