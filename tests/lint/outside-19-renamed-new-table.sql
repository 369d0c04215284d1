-- rename-new
-- Revision ID: o19
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE tmp_users (id bigint);
ALTER TABLE tmp_users RENAME TO users_v2;
CREATE INDEX ON users_v2 (id);
ALTER TABLE users_v2 RENAME COLUMN id TO user_id;
ALTER TABLE users RENAME TO users_old;
ALTER TABLE IF EXISTS users_v2 ADD COLUMN x int NOT NULL;

-- migrate:down
SELECT 1;
-- expect: rename-table 11:1
