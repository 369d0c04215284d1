-- missing-down below marker
-- Revision ID: o21
-- Revises:

-- migrate:up
-- ultramigrate:lint-ignore missing-down the data migration cannot be undone

UPDATE users SET plan = 'free' WHERE plan IS NULL;
