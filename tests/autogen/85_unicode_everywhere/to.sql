CREATE SCHEMA "Ünï Schema";
CREATE TYPE "Ünï Schema"."Stätus" AS ENUM ('Ön', 'Öff');
CREATE DOMAIN "Ünï Schema"."Pösitive" AS integer CONSTRAINT "Pös ck" CHECK (VALUE > 0);
CREATE SEQUENCE "Ünï Schema"."Seq Ü" CYCLE CACHE 5;
CREATE TABLE "Ünï Schema"."Tä""ble" ("Ïd" integer PRIMARY KEY, "Välue" text, "Stätus" "Ünï Schema"."Stätus" DEFAULT 'Ön',
    "Cöunt" "Ünï Schema"."Pösitive", "Nüm" integer DEFAULT nextval('"Ünï Schema"."Seq Ü"'),
    CONSTRAINT "Välue ck" CHECK ("Välue" <> ''));
CREATE TABLE "Ünï Schema"."Chïld" ("Ïd" integer CONSTRAINT "Fk Ü" REFERENCES "Ünï Schema"."Tä""ble");
CREATE INDEX "Ïdx Ü" ON "Ünï Schema"."Tä""ble" (lower("Välue"));
CREATE VIEW "Ünï Schema"."Vïew" AS SELECT "Ïd", "Välue" FROM "Ünï Schema"."Tä""ble";
CREATE FUNCTION "Ünï Schema"."Fünc"("Ärg" integer) RETURNS integer LANGUAGE sql AS $$ SELECT "Ärg" + 1 $$;
CREATE FUNCTION "Ünï Schema"."Trïg"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "Trïg Ü" BEFORE INSERT ON "Ünï Schema"."Tä""ble" FOR EACH ROW EXECUTE FUNCTION "Ünï Schema"."Trïg"();
ALTER TABLE "Ünï Schema"."Tä""ble" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Pölicy Ü" ON "Ünï Schema"."Tä""ble" USING ("Ïd" > 0);
COMMENT ON TABLE "Ünï Schema"."Tä""ble" IS 'ü';
COMMENT ON CONSTRAINT "Välue ck" ON "Ünï Schema"."Tä""ble" IS 'ck ü';
COMMENT ON INDEX "Ünï Schema"."Ïdx Ü" IS 'ïdx';
COMMENT ON FUNCTION "Ünï Schema"."Fünc"(integer) IS 'fünc';
COMMENT ON DOMAIN "Ünï Schema"."Pösitive" IS 'döm';
COMMENT ON POLICY "Pölicy Ü" ON "Ünï Schema"."Tä""ble" IS 'pöl';
