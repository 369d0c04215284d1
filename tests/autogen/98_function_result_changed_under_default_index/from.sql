-- Functions whose result type changes are dropped and made again: the
-- default, expression index, check, policy and generated column that call
-- them go before and come back after, their text unchanged.
CREATE FUNCTION norm(x text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(x)';
CREATE FUNCTION next_code() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text,
  code integer DEFAULT next_code(),
  key text GENERATED ALWAYS AS (norm(email)) STORED,
  CHECK (norm(email) <> '')
);
CREATE INDEX users_norm ON users (norm(email));
CREATE POLICY not_x ON users USING (norm(email) <> 'x');
