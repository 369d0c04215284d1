-- later
-- Revision ID: o07b
-- Revises: o07a
-- Transactional: yes

-- migrate:up
ALTER TABLE billing.invoices ADD COLUMN total numeric NOT NULL, ALTER COLUMN n SET NOT NULL, ADD CONSTRAINT ck CHECK (total >= 0);
CREATE INDEX ON billing.invoices (n);
ALTER TABLE invoices ADD COLUMN total numeric NOT NULL;

-- migrate:down
SELECT 1;
-- expect: add-column-not-null 9:33
