CREATE TABLE events (kind text NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY LIST (kind);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_kind_at ON events (kind, at);
CREATE TABLE events_click PARTITION OF events FOR VALUES IN ('click');
CREATE TABLE events_view PARTITION OF events FOR VALUES IN ('view');
CREATE INDEX view_payload ON events_view USING gin (payload);
