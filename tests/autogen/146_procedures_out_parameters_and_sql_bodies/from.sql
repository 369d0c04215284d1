-- Procedures: one gains an OUT parameter (dropped and made again), one
-- with a SQL-standard body over a column that changes type (dropped
-- before the change, made again after), one whose input is renamed.
CREATE TABLE counter (name text PRIMARY KEY, value integer NOT NULL DEFAULT 0);
CREATE PROCEDURE bump(p_name text, INOUT p_value integer) LANGUAGE plpgsql AS $$
BEGIN
    UPDATE public.counter SET value = value + 1 WHERE name = p_name RETURNING value INTO p_value;
END $$;
CREATE PROCEDURE reset_all() LANGUAGE sql BEGIN ATOMIC UPDATE counter SET value = 0; END;
CREATE PROCEDURE remove(p text) LANGUAGE sql AS $$ DELETE FROM public.counter WHERE name = p $$;
