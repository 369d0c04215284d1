CREATE TABLE doc2 (id integer, team text);
CREATE POLICY team_only ON doc2 FOR UPDATE USING (team = current_user) WITH CHECK (team IS NOT NULL);
