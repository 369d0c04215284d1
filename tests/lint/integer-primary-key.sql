-- integer-primary-key
-- Revision ID: cfb81b57e
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE invoices (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE lines (
    id int,
    invoice_id bigint,
    PRIMARY KEY (id)
);

-- migrate:down
SELECT 1;
-- expect: integer-primary-key 7:27
-- expect: integer-primary-key 9:8
