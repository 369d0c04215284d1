-- rename-table-ok
-- Revision ID: caebfbaaf
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE accounts_new (id bigint PRIMARY KEY);
ALTER TABLE accounts_new RENAME TO accounts_v2;
CREATE INDEX accounts_v2_idx ON accounts_v2 (id);

-- migrate:down
SELECT 1;
