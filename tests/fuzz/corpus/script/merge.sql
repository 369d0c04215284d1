-- merge posts and tags
--
-- Revision ID: 9f0a1b2c3d4e
-- Revises: 7c8d9e0f1a2b, 3e4f5a6b7c8d
-- Create Date: 2026-11-03 08:00:00+00
-- Transactional: yes

-- migrate:up


-- migrate:down

