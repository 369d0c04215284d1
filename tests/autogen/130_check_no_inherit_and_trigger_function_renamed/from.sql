-- A parent's check becomes NO INHERIT; a trigger moves to a function of
-- another name, the old function dropped after it.
CREATE TABLE measurement (id integer, value numeric, CONSTRAINT measurement_value CHECK (value >= 0));
CREATE TABLE measurement_old () INHERITS (measurement);
CREATE FUNCTION check_value() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER measurement_check BEFORE INSERT ON measurement FOR EACH ROW EXECUTE FUNCTION check_value();
