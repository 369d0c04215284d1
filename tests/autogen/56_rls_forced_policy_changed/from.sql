-- Checked from outside: row-level security turned on and forced, a
-- policy's roles and USING changed, a new restrictive policy, one dropped.
DO $$ BEGIN CREATE ROLE um_autogen_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE doc (id integer, owner_name text, public boolean);
CREATE POLICY doc_read ON doc FOR SELECT USING (public);
CREATE POLICY doc_old ON doc FOR DELETE USING (false);
