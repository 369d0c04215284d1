-- transaction-control
-- Revision ID: cf0f35c33
-- Revises:
-- Transactional: yes

-- migrate:up
BEGIN;
ALTER TABLE users ADD COLUMN bio text;
COMMIT;

-- migrate:down
SELECT 1;
-- expect: transaction-control 7:1
-- expect: transaction-control 9:1
