-- Functions taking or returning a table's row type: made once the table
-- is, and (down) dropped before it; a view over one rebuilt with it.
CREATE TABLE keep (id integer);
CREATE TABLE items (id integer PRIMARY KEY, name text);
CREATE FUNCTION all_items() RETURNS SETOF items LANGUAGE sql STABLE AS 'SELECT * FROM items';
CREATE FUNCTION label(i items) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT i.id || '': '' || i.name';
CREATE VIEW item_labels AS SELECT label(a) AS label FROM all_items() a;
