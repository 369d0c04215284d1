CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE TABLE thing (id integer, c color NOT NULL DEFAULT 'red', palette color[]);
