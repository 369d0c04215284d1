-- timestamp-without-time-zone-ok
-- Revision ID: ca381c829
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE logins (
    id bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    seen timestamp(3) with time zone
);

-- migrate:down
SELECT 1;
