CREATE TABLE base (id integer, v text);
CREATE VIEW bv AS SELECT id, v FROM base;
CREATE FUNCTION bv_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO base VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
CREATE TRIGGER bv_ins INSTEAD OF INSERT ON bv FOR EACH ROW EXECUTE FUNCTION bv_ins();
COMMENT ON TRIGGER bv_ins ON bv IS 'writes through';
COMMENT ON COLUMN bv.v IS 'the value';
