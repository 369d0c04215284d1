-- ignore-placement
-- Revision ID: o12
-- Revises:
-- Transactional: yes

-- migrate:up
DROP TABLE a; -- ultramigrate:lint-ignore drop-table a was emptied in r41
DROP TABLE b;
-- ultramigrate:lint-ignore truncate the cache is rebuilt on start

-- an unrelated comment
TRUNCATE cache;
TRUNCATE other;   	-- ultramigrate:lint-ignore truncate,drop-table other is a scratch table
DELETE FROM t; /* why not */ -- ultramigrate:lint-ignore delete-without-where reason
DROP TABLE c, d; -- ultramigrate:lint-ignore truncate the wrong rule
DROP TABLE e; -- ultramigrate:lint-ignore drop-table
TRUNCATE last_one;-- ultramigrate:lint-ignore truncate emptied by the app anyway

-- migrate:down
SELECT 1;
-- expect: drop-table 8:1
-- expect: drop-table 15:1
-- expect: drop-table 15:1
-- expect: lint-ignore-without-reason 16:15
