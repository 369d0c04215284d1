-- An identity column retyped, its kind and sequence options changed.
CREATE TABLE idt (id integer GENERATED ALWAYS AS IDENTITY (START 100 INCREMENT 5), v text);
