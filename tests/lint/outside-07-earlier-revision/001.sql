-- earlier
-- Revision ID: o07a
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY, n text);

-- migrate:down
SELECT 1;
