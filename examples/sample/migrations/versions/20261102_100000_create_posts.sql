-- Create posts
--
-- Revision ID: 7c8d9e0f1a2b
-- Revises: 1a2b3c4d5e6f
-- Create Date: 2026-11-02 10:00:00+00
-- Transactional: yes

-- migrate:up
CREATE TABLE posts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         text NOT NULL,
    body          text NOT NULL DEFAULT '',
    published_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_author_id_idx ON posts (author_id);

-- migrate:down
DROP TABLE posts;
