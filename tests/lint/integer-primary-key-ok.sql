-- integer-primary-key-ok
-- Revision ID: cd80501dd
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE invoice_tags (invoice_id integer, tag_id integer, PRIMARY KEY (invoice_id, tag_id));

-- migrate:down
SELECT 1;
