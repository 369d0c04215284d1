CREATE TABLE m (id bigint PRIMARY KEY, qty bigint, code varchar(40), amount numeric(14,4), note text);
