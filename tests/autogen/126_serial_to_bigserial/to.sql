-- A serial key outgrows integer: bigserial (the column and its sequence
-- widen), and the foreign key to it widens too.
CREATE TABLE event (id bigserial PRIMARY KEY, name text);
CREATE TABLE event_tag (event bigint REFERENCES event (id) ON DELETE CASCADE, tag text);
INSERT INTO event (name) VALUES ('a'), ('b');
INSERT INTO event_tag VALUES (1, 'x');
