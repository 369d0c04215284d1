-- column-used-by-view-ok: the view does not read the column
-- Revision ID: c568d857b
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;
ALTER TABLE users DROP COLUMN nickname;

-- migrate:down
SELECT 1;
-- expect: drop-column 8:19
