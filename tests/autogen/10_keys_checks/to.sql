CREATE TABLE k (id integer NOT NULL, code text, qty integer,
    CONSTRAINT k_pkey PRIMARY KEY (id),
    CONSTRAINT k_code_key UNIQUE (code),
    CONSTRAINT k_qty_positive CHECK (qty > 0));
