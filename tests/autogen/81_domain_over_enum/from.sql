-- Domains over types that are swapped (an enum losing a label, a range
-- type made again) must be swapped with them, domains over domains too.
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE DOMAIN warm AS color CHECK (VALUE <> 'blue');
CREATE DOMAIN hot AS warm NOT NULL CHECK (VALUE::text <> 'green');
CREATE TYPE span AS RANGE (subtype = integer);
CREATE DOMAIN short_span AS span CHECK (upper(VALUE) - lower(VALUE) < 10);
CREATE TABLE paint (id integer, c warm, cs color[], h hot DEFAULT 'red', s short_span);
CREATE INDEX paint_c ON paint (c) WHERE c::color <> 'red';
CREATE VIEW paint_view AS SELECT id, c, h FROM paint;
INSERT INTO paint VALUES (1, 'red', '{red}', 'red', '[1,3)');
