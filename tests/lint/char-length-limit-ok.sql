-- char-length-limit-ok
-- Revision ID: c8fb75360
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE countries (
    code text PRIMARY KEY CHECK (char_length(code) = 2),
    name varchar NOT NULL
);

-- migrate:down
SELECT 1;
