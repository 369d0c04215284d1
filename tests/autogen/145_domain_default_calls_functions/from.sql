-- Domain defaults that call functions: one whose function changes its
-- result type (the default goes first and comes back), a new domain whose
-- default calls a new function (set once the function is made).
CREATE FUNCTION default_priority() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 3';
CREATE DOMAIN priority AS bigint DEFAULT default_priority() CHECK (VALUE BETWEEN 1 AND 5);
CREATE TABLE ticket (id integer PRIMARY KEY, p priority);
