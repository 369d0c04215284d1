-- Functions taking or returning a table's row type: made once the table
-- is, and (down) dropped before it; a view over one rebuilt with it.
CREATE TABLE keep (id integer);
