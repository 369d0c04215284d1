-- A column dropped that a multi-column check and a partial index read.
CREATE TABLE span (id integer, lo integer, hi integer, mid integer,
    CONSTRAINT span_order CHECK (lo <= mid AND mid <= hi), CONSTRAINT span_lo CHECK (lo >= 0));
CREATE INDEX span_lo_hi ON span (lo, hi);
CREATE INDEX span_mid_partial ON span (id) WHERE mid > 0;
