CREATE TABLE addr (city text, zip text);
CREATE STATISTICS addr_city_zip (ndistinct, dependencies) ON city, zip FROM addr;
CREATE STATISTICS addr_expr ON lower(city), zip FROM addr;
ALTER STATISTICS addr_expr SET STATISTICS 500;
COMMENT ON STATISTICS addr_expr IS 'lowered';
