CREATE TABLE booking (room integer, during tsrange);
