-- Add post_tags
--
-- Revision ID: 5b6c7d8e9f0a
-- Revises: 9f0a1b2c3d4e
-- Create Date: 2026-11-04 09:00:00+00
-- Transactional: yes

-- migrate:up
CREATE TABLE post_tags (
    post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id   bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
-- The primary key serves lookups by post; this one serves "posts with tag".
CREATE INDEX post_tags_tag_id_idx ON post_tags (tag_id, post_id);

-- migrate:down
DROP TABLE post_tags;
