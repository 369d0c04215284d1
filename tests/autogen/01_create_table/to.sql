CREATE TABLE keep_me (id integer);
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    balance numeric(12,2) DEFAULT 0
);
