-- add-key-without-index
-- Revision ID: cf775520a
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE accounts ADD PRIMARY KEY (id);

-- migrate:down
SELECT 1;
-- expect: add-key-without-index 7:23
-- expect: add-key-without-index 8:26
