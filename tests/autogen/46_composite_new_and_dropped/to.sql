CREATE TYPE address AS (street text, city text COLLATE "C", zip varchar(10));
COMMENT ON TYPE address IS 'a postal address';
CREATE TABLE shipment (id integer PRIMARY KEY, ship_to address, history address[]);
