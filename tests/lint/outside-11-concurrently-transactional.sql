-- conc-yes
-- Revision ID: o11
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON public.users (email);
  DROP INDEX CONCURRENTLY users_old_idx;
REINDEX TABLE CONCURRENTLY users;
VACUUM users;

-- migrate:down
SELECT 1;
-- expect: concurrently-in-transaction 7:1
-- expect: concurrently-in-transaction 8:3
-- expect: concurrently-in-transaction 9:1
-- expect: vacuum-in-transaction 10:1
