-- char-length-limit
-- Revision ID: cd3860cef
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE countries (
    code char(2) PRIMARY KEY,
    name varchar(100) NOT NULL
);

-- migrate:down
SELECT 1;
-- expect: char-length-limit 8:10
-- expect: char-length-limit 9:10
