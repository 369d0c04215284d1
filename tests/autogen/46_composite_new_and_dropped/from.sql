-- A composite type nothing uses goes; a new one comes with a table column
-- of its type and comments.
CREATE TYPE gone_pair AS (a integer, b integer);
CREATE TABLE shipment (id integer PRIMARY KEY);
