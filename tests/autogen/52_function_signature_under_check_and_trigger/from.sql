-- Checked from outside: a function used by a check constraint gets a new
-- argument type (a new function, the old one dropped after the check
-- moves to it); the trigger function stays, its trigger's WHEN changes.
CREATE FUNCTION is_even(integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 % 2 = 0';
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.n := NEW.n; RETURN NEW; END$$;
CREATE TABLE num (n integer CHECK (is_even(n)));
CREATE TRIGGER num_stamp BEFORE INSERT ON num FOR EACH ROW EXECUTE FUNCTION stamp();
