CREATE TYPE status AS ENUM ('new', 'done');
CREATE TABLE task (id integer, s status DEFAULT 'new');
