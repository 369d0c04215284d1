-- unicode
-- Revision ID: o13
-- Revises:
-- Transactional: yes

-- migrate:up
SELECT 'naïve – ünïcödé';	DROP TABLE café;
/* 日本語 */ TRUNCATE "Ærø";

-- migrate:down
SELECT 1;
-- expect: drop-table 7:27
-- expect: truncate 8:11
