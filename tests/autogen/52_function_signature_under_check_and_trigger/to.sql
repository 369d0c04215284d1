CREATE FUNCTION is_even(bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 % 2 = 0';
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.n := NEW.n; RETURN NEW; END$$;
CREATE TABLE num (n bigint CHECK (is_even(n)));
CREATE TRIGGER num_stamp BEFORE INSERT OR UPDATE ON num FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION stamp();
