-- A row trigger on a partitioned table (cloned onto each partition) while
-- a partition leaves it, and the trigger's WHEN clause changes.
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TABLE doc (id integer NOT NULL, kind text NOT NULL, updated timestamptz, body text) PARTITION BY LIST (kind);
CREATE TABLE doc_a PARTITION OF doc FOR VALUES IN ('a');
CREATE TABLE doc_b PARTITION OF doc FOR VALUES IN ('b');
CREATE TRIGGER doc_touch BEFORE UPDATE ON doc FOR EACH ROW EXECUTE FUNCTION touch();
