CREATE TABLE member (id integer, email text, active boolean, name text, handle text);
CREATE UNIQUE INDEX member_email ON member (lower(email)) INCLUDE (name, id) WHERE active AND email IS NOT NULL;
CREATE UNIQUE INDEX member_handle ON member (handle) INCLUDE (id) WHERE handle <> '';
COMMENT ON INDEX member_handle IS 'handles are unique';
