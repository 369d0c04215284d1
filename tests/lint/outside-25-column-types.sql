-- types
-- Revision ID: o25
-- Revises:
-- Transactional: yes

-- migrate:up
CREATE TABLE t (
	id serial PRIMARY KEY,
	at timestamp(3) without time zone,
	at2 timestamp with time zone,
	name character varying(40),
	code character(2),
	big bigint,
	small int4
);
CREATE TABLE t2 (id int, other int, PRIMARY KEY (id));
CREATE TABLE t3 (a int, b int, PRIMARY KEY (a, b));

-- migrate:down
SELECT 1;
-- expect: serial-column 8:5
-- expect: integer-primary-key 8:5
-- expect: timestamp-without-time-zone 9:5
-- expect: char-length-limit 11:7
-- expect: char-length-limit 12:7
-- expect: integer-primary-key 16:21
