-- drop-schema-ok
-- Revision ID: c198fae5f
-- Revises:
-- Transactional: yes

-- migrate:up
-- ultramigrate:lint-ignore drop-schema emptied and archived, see ticket 4711
DROP SCHEMA legacy;

-- migrate:down
SELECT 1;
