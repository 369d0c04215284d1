-- Mixed-case, quoted and non-ASCII names in every object kind.
CREATE SCHEMA "Ünï Schema";
CREATE TABLE "Ünï Schema"."Tä""ble" ("Ïd" integer PRIMARY KEY, "Välue" text);
