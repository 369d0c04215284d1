CREATE TABLE n (a integer, b integer NOT NULL, c text NOT NULL);
