CREATE TABLE "Order Items" ("Select" integer, "quote""d" text);
