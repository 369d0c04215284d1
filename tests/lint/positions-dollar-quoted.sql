-- positions-dollar-quoted
-- Revision ID: c556fed3d
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- a comment; with a semicolon
    NEW.updated_at := now(); /* ; */
    RETURN NEW;
END;
$body$;
/* Ünïcödé: ça coûte; */
SELECT 'naïve café' AS x; DROP TABLE legacy_éèê;

-- migrate:down
SELECT 1;
-- expect: drop-table 15:27
