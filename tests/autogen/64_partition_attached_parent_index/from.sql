-- A table with an index like the parent's becomes a partition: its index
-- is attached to the parent's (renamed as a partition's would be), not
-- dropped and made again; the parent's new index reaches it too.
CREATE TABLE events (kind text NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY LIST (kind);
CREATE INDEX events_at ON events (at);
CREATE TABLE events_click PARTITION OF events FOR VALUES IN ('click');
CREATE TABLE events_view (kind text NOT NULL, at date NOT NULL, payload jsonb);
CREATE INDEX view_at ON events_view (at);
CREATE INDEX view_payload ON events_view USING gin (payload);
INSERT INTO events_view VALUES ('view', '2025-01-01', '{}');
