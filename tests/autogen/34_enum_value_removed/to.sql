CREATE TYPE level AS ENUM ('high', 'low');
CREATE TABLE reading (id integer, l level DEFAULT 'low', ls level[]);
CREATE VIEW high_readings AS SELECT id FROM reading WHERE l = 'high';
