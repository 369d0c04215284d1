-- Checked from outside: enum values added at the start and in the
-- middle, under a column with a default, a check and a view.
CREATE TYPE stage AS ENUM ('draft', 'done');
CREATE TABLE task (id integer, s stage NOT NULL DEFAULT 'draft' CHECK (s <> 'done' OR id > 0));
CREATE VIEW open_task AS SELECT id FROM task WHERE s = 'draft';
