-- A json column becomes jsonb under an expression index and a check whose
-- text stays the same, and a unique expression index over it is added.
CREATE TABLE event (id integer PRIMARY KEY, payload jsonb NOT NULL, CONSTRAINT event_has_kind CHECK ((payload ->> 'kind') IS NOT NULL));
CREATE INDEX event_kind ON event ((payload ->> 'kind'));
CREATE UNIQUE INDEX event_ref ON event ((payload ->> 'ref'));
INSERT INTO event VALUES (1, '{"kind": "a", "ref": "x1"}');
