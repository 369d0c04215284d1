-- run-table-from-earlier-revision: a table no revision of the run created
-- Revision ID: r002
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE INDEX users_kind_idx ON users (kind);

-- migrate:down
SELECT 1;
-- expect: create-index-not-concurrently 7:1
