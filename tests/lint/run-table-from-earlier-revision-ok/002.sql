-- run-table-from-earlier-revision-ok: 002
-- Revision ID: r002
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE INDEX events_kind_idx ON events (kind);
ALTER TABLE events ADD COLUMN source text NOT NULL;
ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
ALTER TABLE events RENAME COLUMN kind TO event_kind;
ALTER TABLE events ADD CONSTRAINT events_source_check CHECK (source <> '');

-- migrate:down
SELECT 1;
