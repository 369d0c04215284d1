CREATE TABLE customers (id integer PRIMARY KEY, name text);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id) ON DELETE CASCADE);
CREATE TABLE order_lines (order_id integer REFERENCES orders (id), line integer, PRIMARY KEY (order_id, line));
