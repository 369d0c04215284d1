-- cluster-ok
-- Revision ID: cb414cd2d
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE scores (id bigint PRIMARY KEY, points int);
CREATE INDEX scores_points_idx ON scores (points);
CLUSTER scores USING scores_points_idx;

-- migrate:down
SELECT 1;
