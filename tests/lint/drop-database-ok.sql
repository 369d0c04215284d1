-- drop-database-ok
-- Revision ID: ca3f11dfc
-- Revises:
-- Transactional: yes
-- ultramigrate:lint-ignore drop-database the old importer's scratch database, never used by the app
-- migrate:up
DROP DATABASE scratch;

-- migrate:down
SELECT 1;
