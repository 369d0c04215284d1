CREATE TABLE d (id integer, a integer DEFAULT 2, b text, c timestamptz DEFAULT now());
