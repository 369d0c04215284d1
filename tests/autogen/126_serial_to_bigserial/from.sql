-- A serial key outgrows integer: bigserial (the column and its sequence
-- widen), and the foreign key to it widens too.
CREATE TABLE event (id serial PRIMARY KEY, name text);
CREATE TABLE event_tag (event integer REFERENCES event (id) ON DELETE CASCADE, tag text);
INSERT INTO event (name) VALUES ('a'), ('b');
INSERT INTO event_tag VALUES (1, 'x');
