CREATE TABLE d (id integer, a integer DEFAULT 1, b text DEFAULT 'x', c timestamptz);
