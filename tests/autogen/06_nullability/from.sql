CREATE TABLE n (a integer NOT NULL, b integer, c text NOT NULL);
