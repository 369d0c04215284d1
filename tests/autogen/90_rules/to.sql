CREATE TABLE audit (id integer, v text);
CREATE TABLE item (id integer, v text);
CREATE RULE item_audit AS ON INSERT TO item DO ALSO INSERT INTO audit VALUES (NEW.id, NEW.v);
