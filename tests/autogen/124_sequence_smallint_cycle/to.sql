-- A sequence AS smallint that cycles within bounds becomes an integer
-- sequence without a cycle and with a cache; another narrows to smallint.
CREATE SEQUENCE slot_seq AS integer MINVALUE 1 MAXVALUE 100000 NO CYCLE CACHE 50;
CREATE SEQUENCE batch_seq AS smallint START WITH 10 INCREMENT BY 10 MAXVALUE 30000;
CREATE TABLE slot (id integer PRIMARY KEY DEFAULT nextval('slot_seq'), batch smallint DEFAULT nextval('batch_seq'));
ALTER SEQUENCE slot_seq OWNED BY slot.id;
