CREATE TABLE span (id integer, lo integer, hi integer,
    CONSTRAINT span_order CHECK (lo <= hi), CONSTRAINT span_lo CHECK (lo >= 0));
CREATE INDEX span_lo_hi ON span (lo, hi);
