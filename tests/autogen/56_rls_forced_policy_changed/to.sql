DO $$ BEGIN CREATE ROLE um_autogen_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE doc (id integer, owner_name text, public boolean);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
ALTER TABLE doc FORCE ROW LEVEL SECURITY;
CREATE POLICY doc_read ON doc FOR SELECT TO um_autogen_reader USING (public OR owner_name = current_user);
CREATE POLICY doc_limit ON doc AS RESTRICTIVE FOR ALL USING (id > 0) WITH CHECK (id > 0);
