CREATE TABLE log_old (at date NOT NULL, line text);
