CREATE FUNCTION ok_len(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) < 500 $$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.n := 2; RETURN NEW; END $$;
CREATE TABLE note (body text CONSTRAINT note_body_ok CHECK (ok_len(body)), n integer);
CREATE TRIGGER note_stamp BEFORE INSERT OR UPDATE ON note FOR EACH ROW EXECUTE FUNCTION stamp();
