-- do-block-ok: near misses: WHERE clauses, a table the block creates,
-- a function body (it runs when called, not now), another language,
-- a suppression before the block
-- Revision ID: d0b10c002
-- Revises:

-- migrate:up
DO $$
BEGIN
  UPDATE users SET active = true WHERE id < 1000;
  CREATE TABLE fresh (id bigint PRIMARY KEY);
  CREATE INDEX fresh_id ON fresh (id);
  DELETE FROM sessions WHERE expires < now();
END $$;
CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sessions;
END $$;
DO LANGUAGE plperl $$ my $x = 'UPDATE users SET a = 1'; $$;
-- ultramigrate:lint-ignore update-without-where every user is reactivated on purpose
DO $$ BEGIN UPDATE users SET active = true; END $$;

-- migrate:down
SELECT 1;
