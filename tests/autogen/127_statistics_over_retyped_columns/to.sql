-- Extended statistics and an expression index over columns that change
-- type (the server rebuilds them), and statistics that change kinds.
CREATE TABLE address (id integer PRIMARY KEY, city text, zip text, country char(2));
CREATE STATISTICS address_city_zip (dependencies) ON city, zip FROM address;
CREATE STATISTICS address_country (ndistinct, mcv) ON country, city FROM address;
CREATE INDEX address_lower_city ON address (lower(city));
