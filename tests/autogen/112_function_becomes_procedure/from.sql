-- A routine that returned nothing useful becomes a procedure (CALL), and
-- a procedure becomes a function returning a count.
CREATE TABLE job (id integer PRIMARY KEY, done boolean NOT NULL DEFAULT false);
CREATE FUNCTION finish_job(p_id integer) RETURNS void LANGUAGE sql AS $$ UPDATE public.job SET done = true WHERE id = p_id $$;
CREATE PROCEDURE purge_done() LANGUAGE sql AS $$ DELETE FROM public.job WHERE done $$;
COMMENT ON FUNCTION finish_job(integer) IS 'marks a job done';
