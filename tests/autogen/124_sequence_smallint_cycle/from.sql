-- A sequence AS smallint that cycles within bounds becomes an integer
-- sequence without a cycle and with a cache; another narrows to smallint.
CREATE SEQUENCE slot_seq AS smallint MINVALUE 1 MAXVALUE 100 CYCLE;
CREATE SEQUENCE batch_seq AS integer START WITH 10 INCREMENT BY 10;
CREATE TABLE slot (id smallint PRIMARY KEY DEFAULT nextval('slot_seq'), batch integer DEFAULT nextval('batch_seq'));
ALTER SEQUENCE slot_seq OWNED BY slot.id;
