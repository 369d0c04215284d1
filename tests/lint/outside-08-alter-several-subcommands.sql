-- alter-multi
-- Revision ID: o08
-- Revises:
-- Transactional: yes

-- migrate:up
ALTER TABLE users
    ADD COLUMN plan text NOT NULL,
    ALTER COLUMN email TYPE varchar(10),
    DROP COLUMN nick,
    ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id),
    ADD CONSTRAINT users_age_ck CHECK (age > 0) NOT VALID,
    ALTER COLUMN name SET NOT NULL;

-- migrate:down
SELECT 1;
-- expect: add-column-not-null 8:16
-- expect: lossy-type-change 9:18
-- expect: drop-column 10:5
-- expect: constraint-without-not-valid 11:9
-- expect: set-not-null 13:5
