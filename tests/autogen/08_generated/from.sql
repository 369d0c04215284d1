CREATE TABLE g (w numeric, h numeric, area numeric GENERATED ALWAYS AS (w * h) STORED);
