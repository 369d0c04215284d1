-- Defaults that call functions: a function whose body changes is
-- replaced under its default, a new function is used by a new default,
-- and a default moves from one function to another that is dropped.
CREATE FUNCTION new_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT upper(substr(md5(random()::text), 1, 12)) $$;
CREATE FUNCTION in_days(n integer) RETURNS date LANGUAGE sql STABLE AS $$ SELECT current_date + n $$;
CREATE TABLE voucher (
    code text PRIMARY KEY DEFAULT new_code(),
    issued date NOT NULL DEFAULT current_date,
    expires date DEFAULT in_days(30)
);
