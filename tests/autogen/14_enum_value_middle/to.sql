CREATE TYPE status AS ENUM ('new', 'started', 'review', 'done', 'archived');
CREATE TABLE task (id integer, s status DEFAULT 'new');
