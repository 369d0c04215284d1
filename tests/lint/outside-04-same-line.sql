-- same-line
-- Revision ID: o04
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE a (id bigint); CREATE INDEX a_i ON a (id); CREATE INDEX b_i ON b (id); DROP TABLE a; DROP TABLE b;

-- migrate:down
SELECT 1;
-- expect: create-index-not-concurrently 7:57
-- expect: drop-table 7:99
