CREATE TYPE stage AS ENUM ('idea', 'draft', 'review', 'testing', 'done');
CREATE TABLE task (id integer, s stage NOT NULL DEFAULT 'draft' CHECK (s <> 'done' OR id > 0));
CREATE VIEW open_task AS SELECT id FROM task WHERE s = 'draft';
