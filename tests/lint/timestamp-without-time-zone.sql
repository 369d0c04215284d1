-- timestamp-without-time-zone
-- Revision ID: c6104b80a
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE logins (
    id bigint PRIMARY KEY,
    at timestamp NOT NULL,
    seen timestamp(3) without time zone
);

-- migrate:down
SELECT 1;
-- expect: timestamp-without-time-zone 9:8
-- expect: timestamp-without-time-zone 10:10
