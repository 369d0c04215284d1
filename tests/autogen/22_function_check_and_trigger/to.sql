CREATE FUNCTION valid_body(t text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT length(t) < 1000 $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TABLE doc (id integer, body text CONSTRAINT doc_body_valid CHECK (valid_body(body)), updated timestamptz);
CREATE TRIGGER doc_touch BEFORE INSERT OR UPDATE ON doc FOR EACH ROW EXECUTE FUNCTION touch();
