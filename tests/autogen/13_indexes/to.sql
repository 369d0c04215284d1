CREATE TABLE ix (id integer PRIMARY KEY, email text, status text, created date, payload jsonb);
CREATE INDEX ix_status ON ix (status) WHERE status <> 'done';
CREATE UNIQUE INDEX ix_email_lower ON ix (lower(email));
CREATE INDEX ix_created_incl ON ix (created) INCLUDE (status);
CREATE INDEX ix_payload ON ix USING gin (payload);
