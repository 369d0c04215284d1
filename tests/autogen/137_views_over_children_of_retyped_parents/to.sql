-- Views, a trigger and a policy on a partition and on an inheritance
-- child read columns they have from their parent: retyped with the
-- parent's, they go first and come back, though their text stays the same.
CREATE TABLE vehicle (id integer PRIMARY KEY, weight bigint);
CREATE TABLE car (seats integer) INHERITS (vehicle);
CREATE VIEW heavy_cars AS SELECT id, weight FROM car WHERE weight > 2000;
CREATE TABLE reading (id integer NOT NULL, v bigint) PARTITION BY RANGE (id);
CREATE TABLE reading_1 PARTITION OF reading FOR VALUES FROM (0) TO (100);
CREATE VIEW reading_1_v AS SELECT v FROM reading_1;
CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER reading_1_guard BEFORE UPDATE OF v ON reading_1 FOR EACH ROW WHEN (NEW.v > 0) EXECUTE FUNCTION guard();
ALTER TABLE car ENABLE ROW LEVEL SECURITY;
CREATE POLICY car_light ON car USING (weight < 5000);
