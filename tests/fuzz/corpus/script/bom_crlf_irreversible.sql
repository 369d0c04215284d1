-- Initial
-- Revision ID: a1
-- Revises: None
-- transactional: TRUE

--migrate:up
CREATE TABLE t (x int);
-- café ☕
