-- Columns read by policies (their own table's, or another's through a
-- subquery) and by triggers (WHEN, UPDATE OF) change type: the server
-- refuses ALTER COLUMN ... TYPE under them, so they go first and come back.
CREATE TABLE account (id integer PRIMARY KEY, tenant integer NOT NULL, balance integer NOT NULL DEFAULT 0);
CREATE TABLE ledger (id integer PRIMARY KEY, account integer NOT NULL, amount integer NOT NULL);
ALTER TABLE account ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON account USING (tenant = current_setting('app.tenant')::integer);
CREATE POLICY positive_tenant ON account AS RESTRICTIVE FOR INSERT WITH CHECK (tenant > 0);
CREATE POLICY ledger_tenant ON ledger USING (EXISTS (SELECT 1 FROM account a WHERE a.id = account AND a.tenant > 0));
CREATE FUNCTION audit_balance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER balance_changed BEFORE UPDATE OF balance ON account FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION audit_balance();
CREATE TRIGGER amount_changed AFTER UPDATE OF amount ON ledger FOR EACH ROW EXECUTE FUNCTION audit_balance();
INSERT INTO account VALUES (1, 7, 100);
INSERT INTO ledger VALUES (1, 1, 50);
