CREATE DOMAIN posint AS integer CONSTRAINT posint_check CHECK (VALUE > 0);
CREATE DOMAIN gone_domain AS text;
CREATE TABLE dt (a posint);
