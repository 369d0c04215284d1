CREATE TABLE shipment (id integer, state text DEFAULT 'new');
CREATE VIEW open_shipments AS SELECT id, state FROM shipment WHERE state <> 'closed';
