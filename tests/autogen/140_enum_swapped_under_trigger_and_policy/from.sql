-- An enum loses a label: its column moves to the new type under a
-- trigger (UPDATE OF, WHEN) and a policy that read it, which go first.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE person (id integer PRIMARY KEY, m mood);
CREATE FUNCTION on_mood() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER person_mood AFTER UPDATE OF m ON person FOR EACH ROW WHEN (OLD.m IS DISTINCT FROM NEW.m) EXECUTE FUNCTION on_mood();
ALTER TABLE person ENABLE ROW LEVEL SECURITY;
CREATE POLICY person_not_sad ON person USING (m IS DISTINCT FROM 'sad');
