-- Policies whose USING and WITH CHECK change, one command narrowed, one
-- that goes from permissive to restrictive, row security forced.
CREATE TABLE document (id integer PRIMARY KEY, owner text NOT NULL DEFAULT current_user, published boolean NOT NULL DEFAULT false);
ALTER TABLE document ENABLE ROW LEVEL SECURITY;
CREATE POLICY document_read ON document FOR SELECT USING (published OR owner = current_user);
CREATE POLICY document_write ON document FOR ALL USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY document_not_empty ON document AS PERMISSIVE FOR INSERT WITH CHECK (id > 0);
