CREATE TYPE color AS ENUM ('red', 'blue', 'yellow');
CREATE DOMAIN warm AS color CHECK (VALUE <> 'blue');
CREATE DOMAIN hot AS warm NOT NULL CHECK (VALUE::text <> 'yellow');
CREATE TYPE span AS RANGE (subtype = bigint);
CREATE DOMAIN short_span AS span CHECK (upper(VALUE) - lower(VALUE) < 10);
CREATE TABLE paint (id integer, c warm, cs color[], h hot DEFAULT 'red', s short_span);
CREATE INDEX paint_c ON paint (c) WHERE c::color <> 'red';
CREATE VIEW paint_view AS SELECT id, c, h FROM paint;
