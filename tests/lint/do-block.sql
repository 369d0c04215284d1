-- do-block: the statements a DO block runs are linted where they stand
-- Revision ID: d0b10c001
-- Revises:

-- migrate:up
DO $$
DECLARE n int;
BEGIN
  UPDATE users SET active = true;
  IF n > 0 THEN
        DELETE FROM sessions;
  ELSE
    TRUNCATE audit;
  END IF;
  SELECT count(*) INTO n FROM users;
  ALTER TABLE users ADD COLUMN x int NOT NULL;
END $$;
DO 'BEGIN PERFORM ''x''; DROP TABLE users; END';
DO $body$ BEGIN UPDATE a SET b = 1; END $body$ LANGUAGE plpgsql;

-- migrate:down
SELECT 1;
-- expect: update-without-where 9:3
-- expect: delete-without-where 11:9
-- expect: truncate 13:5
-- expect: add-column-not-null 16:32
-- expect: drop-table 18:26
-- expect: update-without-where 19:17
