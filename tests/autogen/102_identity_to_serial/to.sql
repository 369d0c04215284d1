-- An identity column becomes a serial one: the identity (and its sequence,
-- of the same name as the serial's) goes before the new sequence is made.
CREATE TABLE t (id serial PRIMARY KEY, v integer);
