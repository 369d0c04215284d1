-- A routine that returned nothing useful becomes a procedure (CALL), and
-- a procedure becomes a function returning a count.
CREATE TABLE job (id integer PRIMARY KEY, done boolean NOT NULL DEFAULT false);
CREATE PROCEDURE finish_job(p_id integer) LANGUAGE sql AS $$ UPDATE public.job SET done = true WHERE id = p_id $$;
CREATE FUNCTION purge_done() RETURNS bigint LANGUAGE sql AS $$ WITH d AS (DELETE FROM public.job WHERE done RETURNING 1) SELECT count(*) FROM d $$;
COMMENT ON PROCEDURE finish_job(integer) IS 'marks a job done';
