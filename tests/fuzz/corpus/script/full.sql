-- Add user preferences
--
-- Revision ID: 3f1c9a2b7d10
-- Revises: 9b0e4d55c2aa
-- Depends On: 77aa00bb11cc, base_schema
-- Create Date: 2025-05-01 12:00:00+00
-- Transactional: no

-- migrate:up
CREATE TABLE user_preferences (
    user_id bigint PRIMARY KEY,
    theme text NOT NULL DEFAULT 'light'  -- migrate:down is not a marker here
);
CREATE INDEX CONCURRENTLY prefs_theme ON user_preferences (theme);

--   migrate:down
DROP TABLE user_preferences;
