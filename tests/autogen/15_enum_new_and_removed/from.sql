CREATE TYPE old_kind AS ENUM ('a', 'b');
CREATE TABLE thing (id integer, k old_kind);
