-- Defaults that call functions: a function whose body changes is
-- replaced under its default, a new function is used by a new default,
-- and a default moves from one function to another that is dropped.
CREATE FUNCTION new_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$;
CREATE FUNCTION today_utc() RETURNS date LANGUAGE sql STABLE AS $$ SELECT (now() AT TIME ZONE 'UTC')::date $$;
CREATE TABLE voucher (
    code text PRIMARY KEY DEFAULT new_code(),
    issued date NOT NULL DEFAULT today_utc(),
    expires date
);
