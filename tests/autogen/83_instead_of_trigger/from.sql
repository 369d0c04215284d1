-- An INSTEAD OF trigger on a view, comments on it and on a view's column.
CREATE TABLE base (id integer, v text);
CREATE VIEW bv AS SELECT id, v FROM base;
CREATE FUNCTION bv_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO base VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
