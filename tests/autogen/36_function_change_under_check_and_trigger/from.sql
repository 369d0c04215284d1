CREATE FUNCTION ok_len(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) < 100 $$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.n := 1; RETURN NEW; END $$;
CREATE TABLE note (body text CONSTRAINT note_body_ok CHECK (ok_len(body)), n integer);
CREATE TRIGGER note_stamp BEFORE INSERT ON note FOR EACH ROW EXECUTE FUNCTION stamp();
