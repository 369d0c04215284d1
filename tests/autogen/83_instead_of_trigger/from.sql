-- An INSTEAD OF trigger on a view; comments on it and on the view's columns (one set, one removed).
CREATE TABLE base (id integer, v text);
CREATE VIEW bv AS SELECT id, v FROM base;
CREATE FUNCTION bv_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO base VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
COMMENT ON COLUMN bv.id IS 'the id';
