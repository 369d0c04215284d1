CREATE TABLE doc2 (id integer, team text);
ALTER TABLE doc2 ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_only ON doc2 USING (team = current_user);
