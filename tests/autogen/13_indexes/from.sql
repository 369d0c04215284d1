CREATE TABLE ix (id integer PRIMARY KEY, email text, status text, created date, payload jsonb);
CREATE INDEX ix_status ON ix (status);
CREATE INDEX ix_old ON ix (created);
