-- A partitioned table's serial key (also its partition key) widens to
-- bigint: the table is made again with what hangs on it (its sequence's
-- ownership, a foreign key to it, a grant, a policy, a trigger), its
-- partitions detached, widened and attached again with their rows.
CREATE TABLE reading (
    id bigserial NOT NULL,
    sensor integer NOT NULL,
    value double precision,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE TABLE reading_1 PARTITION OF reading FOR VALUES FROM (1) TO (1000000);
CREATE TABLE reading_2 PARTITION OF reading FOR VALUES FROM (1000000) TO (2000000);
CREATE TABLE alert (id integer PRIMARY KEY, reading bigint REFERENCES reading (id));
GRANT SELECT ON reading TO PUBLIC;
ALTER TABLE reading ENABLE ROW LEVEL SECURITY;
CREATE POLICY reading_positive ON reading USING (value >= 0);
CREATE FUNCTION reading_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER reading_guard BEFORE INSERT ON reading FOR EACH ROW EXECUTE FUNCTION reading_guard();
INSERT INTO reading (sensor, value) VALUES (1, 0.5), (2, 1.5);
INSERT INTO alert VALUES (1, 1);
