-- header-suppression
-- Revision ID: o05
-- Revises:
-- ultramigrate:lint-ignore drop-table the legacy tables were archived to s3 in ticket 42
-- ultramigrate:lint-ignore truncate

-- migrate:up
DROP TABLE legacy_a, legacy_b;
TRUNCATE legacy_c;
DELETE FROM legacy_d;

-- migrate:down
SELECT 1;
-- expect: lint-ignore-without-reason 5:1
-- expect: delete-without-where 10:1
