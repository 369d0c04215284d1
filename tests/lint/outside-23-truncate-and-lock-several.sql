-- truncate-multi
-- Revision ID: o23
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE staging (id bigint);
TRUNCATE staging, public.audit, "Staging" RESTART IDENTITY;
LOCK TABLE staging, users IN SHARE MODE;
LOCK staging;
LOCK TABLE users IN ROW EXCLUSIVE MODE;

-- migrate:down
SELECT 1;
-- expect: truncate 8:19
-- expect: truncate 8:33
-- expect: lock-table 9:1
