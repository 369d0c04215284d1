-- A text column holding JSON becomes jsonb with a GIN index; a check on it
-- is replaced by one on the new type.
CREATE TABLE webhook (id integer PRIMARY KEY, payload jsonb NOT NULL, CONSTRAINT webhook_payload_object CHECK (jsonb_typeof(payload) = 'object'));
CREATE INDEX webhook_payload ON webhook USING gin (payload jsonb_path_ops);
INSERT INTO webhook VALUES (1, '{"a": 1}');
