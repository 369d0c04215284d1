-- cluster
-- Revision ID: c56f7077c
-- Revises:
-- Transactional: yes

-- migrate:up
CLUSTER users USING users_pkey;

-- migrate:down
SELECT 1;
-- expect: cluster 7:1
