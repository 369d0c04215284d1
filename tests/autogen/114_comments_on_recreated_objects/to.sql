-- Comments on constraints, indexes and columns whose objects are dropped
-- and made again (a new definition) come back with them; others change.
CREATE TABLE product (id integer PRIMARY KEY, sku text NOT NULL, price numeric(12,2), discontinued boolean);
ALTER TABLE product ADD CONSTRAINT product_price_positive CHECK (price >= 0.01);
ALTER TABLE product ADD CONSTRAINT product_sku_key UNIQUE (sku) INCLUDE (price);
CREATE INDEX product_price ON product (price) WHERE NOT discontinued;
COMMENT ON CONSTRAINT product_price_positive ON product IS 'no free products';
COMMENT ON CONSTRAINT product_sku_key ON product IS 'one row per sku, price at hand';
COMMENT ON INDEX product_price IS 'price range queries';
COMMENT ON COLUMN product.sku IS 'stock keeping unit';
COMMENT ON COLUMN product.price IS 'in EUR';
