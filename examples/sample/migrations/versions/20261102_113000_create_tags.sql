-- Create tags
--
-- Revision ID: 3e4f5a6b7c8d
-- Revises: 1a2b3c4d5e6f
-- Create Date: 2026-11-02 11:30:00+00
-- Transactional: yes

-- migrate:up
CREATE TABLE tags (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name  text NOT NULL,
    CONSTRAINT tags_name_key UNIQUE (name),
    CONSTRAINT tags_name_lowercase CHECK (name = lower(name))
);

-- migrate:down
DROP TABLE tags;
