-- Triggers: column lists and WHEN, transition tables, constraint triggers.
CREATE TABLE tt (id integer, v text);
CREATE FUNCTION tt_f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER tt_a AFTER INSERT ON tt FOR EACH ROW EXECUTE FUNCTION tt_f();
