-- A partition detached from a parent that a foreign key references.
CREATE TABLE acct (id integer, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE acct_eu PARTITION OF acct FOR VALUES IN ('eu');
CREATE TABLE acct_us PARTITION OF acct FOR VALUES IN ('us');
CREATE TABLE txn (id integer, acct_id integer, region text, FOREIGN KEY (acct_id, region) REFERENCES acct);
INSERT INTO acct VALUES (1, 'eu'), (2, 'us'); INSERT INTO txn VALUES (1, 1, 'eu');
