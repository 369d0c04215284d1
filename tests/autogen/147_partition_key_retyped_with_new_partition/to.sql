-- A list-partitioned table whose key column changes type while it gains a
-- partition beside its default one: made again, its partitions (the
-- default too) detached and attached again with their rows, the new one
-- made as a partition of it.
CREATE TABLE ticket (id integer NOT NULL, queue text NOT NULL, title text) PARTITION BY LIST (queue);
CREATE TABLE ticket_support PARTITION OF ticket FOR VALUES IN ('support');
CREATE TABLE ticket_billing PARTITION OF ticket FOR VALUES IN ('billing');
CREATE TABLE ticket_other PARTITION OF ticket DEFAULT;
CREATE INDEX ticket_title ON ticket (title);
INSERT INTO ticket VALUES (1, 'support', 'help'), (2, 'misc', 'hello');
