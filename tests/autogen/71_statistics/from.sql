-- Extended statistics: kinds changed, a new one on an expression with a target and a comment.
CREATE TABLE addr (city text, zip text, street text);
CREATE STATISTICS addr_city_zip (dependencies) ON city, zip FROM addr;
