-- Columns moved to extension types (citext, hstore): the extension is
-- made first, the columns cast through their text form.
CREATE TABLE member (
    id integer PRIMARY KEY,
    email text NOT NULL,
    attrs text
);
CREATE UNIQUE INDEX member_email ON member (lower(email));
INSERT INTO member VALUES (1, 'A@example.org', '"a"=>"1"');
