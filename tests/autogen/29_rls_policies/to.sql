CREATE TABLE secrets (id integer, owner name, body text);
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_reads ON secrets FOR SELECT USING (owner = current_user);
CREATE POLICY owner_writes ON secrets AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (owner = current_user);
