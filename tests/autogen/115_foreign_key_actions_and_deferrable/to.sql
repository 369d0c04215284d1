-- Foreign key actions and deferrability change; a unique key the foreign
-- key uses gains a column, so both are made again in order.
CREATE TABLE tenant (id integer PRIMARY KEY);
CREATE TABLE project (
    id integer NOT NULL,
    tenant integer NOT NULL REFERENCES tenant (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    name text,
    CONSTRAINT project_id_key UNIQUE (tenant, id)
);
CREATE TABLE task (
    id integer PRIMARY KEY,
    tenant integer NOT NULL,
    project integer,
    owner integer,
    CONSTRAINT task_project_fk FOREIGN KEY (tenant, project) REFERENCES project (tenant, id) ON DELETE SET NULL (project),
    CONSTRAINT task_owner_fk FOREIGN KEY (owner) REFERENCES tenant (id),
    CONSTRAINT task_unique_per_project UNIQUE (project, id) DEFERRABLE INITIALLY IMMEDIATE
);
