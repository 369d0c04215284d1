-- Objects made again start from their default privileges: a function
-- dropped for new OUT parameters gets its EXECUTE revoked from PUBLIC
-- again, a view made again over a retyped column its grant, a domain
-- swapped its USAGE revoked.
CREATE TABLE account (id integer PRIMARY KEY, balance integer);
CREATE FUNCTION account_stats(OUT n bigint) LANGUAGE sql STABLE AS $$ SELECT count(*) FROM public.account $$;
REVOKE EXECUTE ON FUNCTION account_stats() FROM PUBLIC;
CREATE VIEW account_view AS SELECT id, balance FROM account;
GRANT SELECT ON account_view TO PUBLIC;
CREATE DOMAIN money_amount AS integer;
REVOKE USAGE ON DOMAIN money_amount FROM PUBLIC;
CREATE TABLE payment (id integer PRIMARY KEY, amount money_amount);
GRANT SELECT (id) ON payment TO PUBLIC;
