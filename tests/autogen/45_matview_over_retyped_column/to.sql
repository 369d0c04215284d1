CREATE TABLE reading2 (sensor integer, value double precision);
CREATE MATERIALIZED VIEW sensor_avg AS SELECT sensor, avg(value) AS avg FROM reading2 GROUP BY sensor;
CREATE INDEX sensor_avg_sensor ON sensor_avg (sensor);
COMMENT ON MATERIALIZED VIEW sensor_avg IS 'averages';
