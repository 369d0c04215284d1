-- Policies whose subqueries read a partitioned table made again (its key
-- column widens) and a view made again: neither can be dropped under the
-- policies, which go first and come back with the same text.
CREATE TABLE team (id integer NOT NULL, name text) PARTITION BY HASH (id);
CREATE TABLE team_0 PARTITION OF team FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE team_1 PARTITION OF team FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE member (id integer PRIMARY KEY, team integer NOT NULL, login text NOT NULL);
CREATE VIEW my_teams AS SELECT team FROM member WHERE login = current_user;
CREATE TABLE board (id integer PRIMARY KEY, team integer NOT NULL);
ALTER TABLE board ENABLE ROW LEVEL SECURITY;
CREATE POLICY board_team_exists ON board USING (EXISTS (SELECT 1 FROM team t WHERE t.id = board.team));
CREATE POLICY board_mine ON board USING (team IN (SELECT team FROM my_teams));
