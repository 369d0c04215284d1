-- A text column holding JSON becomes jsonb with a GIN index; a check on it
-- is replaced by one on the new type.
CREATE TABLE webhook (id integer PRIMARY KEY, payload text NOT NULL, CONSTRAINT webhook_payload_object CHECK (payload LIKE '{%'));
CREATE INDEX webhook_payload ON webhook (payload);
INSERT INTO webhook VALUES (1, '{"a": 1}');
