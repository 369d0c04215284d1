-- Unlogged tables that reference each other become logged (a staging
-- area kept): a logged table cannot reference an unlogged one, so the
-- referenced table is set logged first, and unlogged last on the way back.
CREATE TABLE batch (id integer PRIMARY KEY, started timestamptz);
CREATE TABLE batch_row (id integer PRIMARY KEY, batch integer REFERENCES batch (id), payload jsonb);
CREATE UNLOGGED TABLE scratch (k text);
CREATE UNLOGGED TABLE settings (k text PRIMARY KEY, v text);
