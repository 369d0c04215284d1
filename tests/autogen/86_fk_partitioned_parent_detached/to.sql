CREATE TABLE acct (id integer, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE acct_eu PARTITION OF acct FOR VALUES IN ('eu');
CREATE TABLE acct_us (id integer NOT NULL, region text NOT NULL, PRIMARY KEY (id, region));
CREATE TABLE txn (id integer, acct_id integer, region text, FOREIGN KEY (acct_id, region) REFERENCES acct);
