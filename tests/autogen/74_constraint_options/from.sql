-- Deferrable keys, foreign key actions changed, a check made NOT VALID.
CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (id integer, pid integer REFERENCES parent ON DELETE CASCADE, qty integer,
    CONSTRAINT qty_pos CHECK (qty > 0), CONSTRAINT child_id UNIQUE (id));
INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1, 5);
