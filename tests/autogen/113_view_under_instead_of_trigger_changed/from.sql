-- An updatable view with an INSTEAD OF trigger gains a column: the view
-- is made again and its trigger with it; the view's check option and
-- barrier change too.
CREATE TABLE person (id integer PRIMARY KEY, name text NOT NULL, email text, active boolean NOT NULL DEFAULT true);
CREATE VIEW active_person WITH (security_barrier) AS SELECT id, name FROM person WHERE active;
CREATE FUNCTION active_person_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.person (id, name) VALUES (NEW.id, NEW.name);
    RETURN NEW;
END $$;
CREATE TRIGGER active_person_insert INSTEAD OF INSERT ON active_person FOR EACH ROW EXECUTE FUNCTION active_person_insert();
CREATE VIEW named_person AS SELECT id, name FROM person WHERE name <> '' WITH LOCAL CHECK OPTION;
COMMENT ON VIEW active_person IS 'people still active';
