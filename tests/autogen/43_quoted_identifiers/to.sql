CREATE TABLE "Order Items" ("Select" bigint NOT NULL, "quote""d" text, "Ünïcode" text DEFAULT 'ä''b');
CREATE INDEX "Order Items idx" ON "Order Items" ("quote""d");
COMMENT ON COLUMN "Order Items"."Select" IS 'a ''keyword''';
CREATE TYPE "Mood" AS ENUM ('a b', 'c''d');
