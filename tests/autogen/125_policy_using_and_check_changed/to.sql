-- Policies whose USING and WITH CHECK change, one command narrowed, one
-- that goes from permissive to restrictive, row security forced.
CREATE TABLE document (id integer PRIMARY KEY, owner text NOT NULL DEFAULT current_user, published boolean NOT NULL DEFAULT false);
ALTER TABLE document ENABLE ROW LEVEL SECURITY;
ALTER TABLE document FORCE ROW LEVEL SECURITY;
CREATE POLICY document_read ON document FOR SELECT USING (published);
CREATE POLICY document_write ON document FOR UPDATE USING (owner = current_user) WITH CHECK (owner = current_user AND NOT published);
CREATE POLICY document_not_empty ON document AS RESTRICTIVE FOR INSERT WITH CHECK (id > 0);
COMMENT ON POLICY document_read ON document IS 'published documents are public';
