-- schema-quoted
-- Revision ID: o06
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE app.orders (id bigint PRIMARY KEY);
CREATE INDEX app_orders_id ON app.orders (id);
CREATE INDEX orders_id ON orders (id);
CREATE TABLE "Users" (id bigint);
CREATE INDEX ON "Users" (id);
CREATE INDEX ON users (id);
CREATE TABLE "accounts" (id bigint);
CREATE INDEX ON accounts (id);
DROP TABLE "app"."orders";
DROP TABLE "App".orders;

-- migrate:down
SELECT 1;
-- expect: create-index-not-concurrently 9:1
-- expect: create-index-not-concurrently 12:1
-- expect: drop-table 16:1
