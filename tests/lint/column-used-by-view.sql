-- column-used-by-view
-- Revision ID: c3359e7ac
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE VIEW active_users AS SELECT u.id, u.email FROM users u WHERE u.active;
ALTER TABLE users DROP COLUMN email;
CREATE VIEW everything AS SELECT * FROM orders;
ALTER TABLE orders ALTER COLUMN note TYPE text;

-- migrate:down
SELECT 1;
-- expect: column-used-by-view 8:19
-- expect: drop-column 8:19
-- expect: column-used-by-view 10:20
-- expect: alter-column-type 10:33
