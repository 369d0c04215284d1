CREATE TABLE coll (a text COLLATE "C", b text);
