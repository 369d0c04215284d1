CREATE TABLE coll (a text, b text COLLATE "C");
