-- Checks validated on a partitioned table and on an inheritance parent
-- (VALIDATE CONSTRAINT reaches the partitions and children), a foreign key
-- left NOT VALID.
CREATE TABLE m (id integer NOT NULL, v integer) PARTITION BY RANGE (id);
CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM (0) TO (10);
ALTER TABLE m ADD CONSTRAINT m_v CHECK (v > 0);
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (id integer, p integer);
ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p) REFERENCES p (id) NOT VALID;
CREATE TABLE k (a integer);
CREATE TABLE k2 () INHERITS (k);
ALTER TABLE k ADD CONSTRAINT k_a CHECK (a > 0);
