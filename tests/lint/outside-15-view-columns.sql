-- view
-- Revision ID: o15
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE VIEW v_users AS SELECT u.id, u.email FROM public.users u;
ALTER TABLE users DROP COLUMN nick;
ALTER TABLE users DROP COLUMN email;
ALTER TABLE users ALTER COLUMN id TYPE bigint;
DROP VIEW v_users;
ALTER TABLE users DROP COLUMN phone;

-- migrate:down
SELECT 1;
-- expect: drop-column 8:19
-- expect: column-used-by-view 9:19
-- expect: drop-column 9:19
-- expect: column-used-by-view 10:19
-- expect: alter-column-type 10:32
-- expect: drop-column 12:19
