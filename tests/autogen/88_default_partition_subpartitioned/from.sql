-- A default partition that becomes partitioned itself (rebuilt), with a default of its own.
CREATE TABLE sale (id integer NOT NULL, region text NOT NULL, day date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE sale_eu PARTITION OF sale FOR VALUES IN ('eu');
CREATE TABLE sale_other PARTITION OF sale DEFAULT;
INSERT INTO sale VALUES (1, 'eu', '2024-01-01');
