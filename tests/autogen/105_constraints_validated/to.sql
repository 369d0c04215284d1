-- Constraints added NOT VALID (no scan under the lock) and validated in a
-- later revision: VALIDATE CONSTRAINT, not a drop and an add.
CREATE TABLE customer (id integer PRIMARY KEY, email text);
CREATE TABLE invoice (
    id integer PRIMARY KEY,
    customer integer,
    amount numeric(12,2),
    due date
);
ALTER TABLE invoice ADD CONSTRAINT invoice_customer_fk FOREIGN KEY (customer) REFERENCES customer (id);
ALTER TABLE invoice ADD CONSTRAINT invoice_amount_positive CHECK (amount > 0);
ALTER TABLE invoice ADD CONSTRAINT invoice_due_set CHECK (due IS NOT NULL) NOT VALID;
ALTER TABLE customer ADD CONSTRAINT customer_email_at CHECK (email LIKE '%@%') NOT VALID;
COMMENT ON CONSTRAINT invoice_amount_positive ON invoice IS 'validated';
INSERT INTO customer VALUES (1, 'a@example.org');
INSERT INTO invoice VALUES (1, 1, 10, '2025-01-01');
