CREATE SCHEMA app;
CREATE SCHEMA "Reporting";
CREATE TABLE app.users (id integer PRIMARY KEY);
CREATE TABLE "Reporting"."Daily" ("Id" integer REFERENCES app.users (id), "Value" text);
CREATE VIEW "Reporting".summary AS SELECT count(*) AS n FROM "Reporting"."Daily";
