-- Columns moved to extension types (citext, hstore): the extension is
-- made first, the columns cast through their text form.
CREATE EXTENSION citext SCHEMA public;
CREATE EXTENSION hstore SCHEMA public;
CREATE TABLE member (
    id integer PRIMARY KEY,
    email citext NOT NULL,
    attrs hstore
);
CREATE UNIQUE INDEX member_email ON member (email);
CREATE INDEX member_attrs ON member USING gist (attrs);
INSERT INTO member VALUES (1, 'A@example.org', '"a"=>"1"');
