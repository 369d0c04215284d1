-- plain sql, no header
BEGIN;
CREATE TABLE x (id bigint);
COMMIT;
DROP TABLE y;
-- expect: transaction-control 2:1
-- expect: transaction-control 4:1
-- expect: drop-table 5:1
