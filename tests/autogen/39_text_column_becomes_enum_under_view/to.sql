CREATE TYPE shipment_state AS ENUM ('new', 'sent', 'closed');
CREATE TABLE shipment (id integer, state shipment_state DEFAULT 'new');
CREATE VIEW open_shipments AS SELECT id, state FROM shipment WHERE state <> 'closed';
