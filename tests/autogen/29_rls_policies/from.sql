CREATE TABLE secrets (id integer, owner name, body text);
CREATE POLICY old_policy ON secrets USING (true);
