/*
 * schema_model.h - a database's schema read from pg_catalog into a
 * structured, canonical model: what autogenerate diffs and what its tests
 * compare.
 *
 * Every object is one sm_object: its kind, its key (the SQL name the
 * server quoted and qualified, read with search_path = '' so that every
 * name and every rendered definition is schema-qualified), the key of the
 * table it belongs to, its own name, and the kind's attributes in a fixed
 * order (the SM_* indices below), each the server's own rendering
 * (format_type, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
 * pg_get_functiondef, pg_get_triggerdef, pg_get_expr) or NULL.  Comments
 * and enum labels are already SQL literals (quote_literal), so that SQL
 * can be written from the model without a connection.
 *
 * One query per object kind, all through pg.c.  The engine's bookkeeping
 * tables (version_table and its _applied and _history tables in
 * version_table_schema), objects of extensions and the system schemas are
 * left out (sm_scope says when the bookkeeping tables are read too).
 */
#ifndef LIB_SCHEMA_MODEL_H
#define LIB_SCHEMA_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"
#include "strbuf.h"

typedef enum sm_kind {
    SM_SCHEMA,
    SM_EXTENSION,
    SM_COLLATION,
    SM_ENUM,
    SM_DOMAIN,
    SM_COMPOSITE,
    SM_RANGE,
    SM_SEQUENCE,
    SM_TABLE,
    SM_COLUMN,
    SM_CONSTRAINT,
    SM_INDEX,
    SM_STATISTICS,
    SM_VIEW,
    SM_FUNCTION,
    SM_TRIGGER,
    SM_RULE,
    SM_POLICY,
    SM_EVENT_TRIGGER,
    SM_GRANT,
    SM_N_KINDS
} sm_kind;

/* Attributes of each kind, by index (NULL: none / not set). */
enum { SM_SCHEMA_COMMENT };
enum { SM_EXT_SCHEMA, SM_EXT_COMMENT, SM_EXT_VERSION };
enum {
    SM_COLLATION_DEF, /* the options of CREATE COLLATION: "provider = icu, locale = '...', ..." */
    SM_COLLATION_COMMENT
};
enum { SM_ENUM_LABELS /* quoted labels, each ended by '\n', in order */, SM_ENUM_COMMENT };
enum {
    SM_DOMAIN_BASE,
    SM_DOMAIN_NOTNULL, /* "true" / "false" */
    SM_DOMAIN_DEFAULT,
    SM_DOMAIN_COLLATION,
    SM_DOMAIN_CHECKS, /* "name CHECK (...)", each ended by '\n', by name */
    SM_DOMAIN_COMMENT
};
enum {
    SM_COMPOSITE_ATTRS, /* "name type [COLLATE c]", each ended by '\n', in order */
    SM_COMPOSITE_COMMENT
};
enum {
    SM_RANGE_SUBTYPE,
    SM_RANGE_COLLATION, /* when not the subtype's own */
    SM_RANGE_OPCLASS,   /* when not the subtype's default */
    SM_RANGE_CANONICAL,
    SM_RANGE_SUBDIFF,
    SM_RANGE_MULTIRANGE, /* the multirange type's name */
    SM_RANGE_COMMENT
};
enum {
    SM_SEQ_TYPE,
    SM_SEQ_START,
    SM_SEQ_INCREMENT,
    SM_SEQ_MIN,
    SM_SEQ_MAX,
    SM_SEQ_CACHE,
    SM_SEQ_CYCLE,    /* "true" / "false" */
    SM_SEQ_OWNED_BY, /* table.column, or NULL */
    SM_SEQ_COMMENT
};
enum {
    SM_TABLE_PERSISTENCE, /* "p" / "u" */
    SM_TABLE_PARTKEY,     /* pg_get_partkeydef, partitioned tables */
    SM_TABLE_PARTOF,      /* the parent of a partition */
    SM_TABLE_BOUND,       /* "FOR VALUES ..." / "DEFAULT" */
    SM_TABLE_INHERITS,    /* parents (not of a partition), each ended by '\n' */
    SM_TABLE_RLS,         /* "true" / "false" */
    SM_TABLE_FORCE_RLS,
    SM_TABLE_COMMENT,
    /*
     * What a partition carries from its parent, which the other kinds
     * leave out (attached indexes, cloned keys and foreign keys, inherited
     * checks): "L name definition", each ended by '\n', by name, L being
     * 'i' (an index: pg_get_indexdef) or the constraint's type (p, u, x,
     * f, c: pg_get_constraintdef).  Neither compared nor dumped: the names
     * are the server's choice; autogenerate needs them to attach and
     * detach, as the objects become the table's own on DETACH.
     */
    SM_TABLE_FROM_PARENT,
    SM_TABLE_OPTIONS, /* reloptions as "a=b, c=d", sorted, or NULL */
    SM_TABLE_REPLICA, /* "FULL", "NOTHING", "USING INDEX name", or NULL (the default) */
    SM_TABLE_OF       /* the composite type of a typed table (CREATE TABLE ... OF) */
};
enum {
    SM_COL_ATTNUM, /* position: used to order, not compared */
    SM_COL_TYPE,
    SM_COL_COLLATION, /* when not the type's own */
    SM_COL_NOTNULL,   /* "true" / "false" */
    SM_COL_DEFAULT,
    SM_COL_IDENTITY,  /* "a" (always), "d" (by default) or "" */
    SM_COL_GENERATED, /* the expression of a stored generated column */
    SM_COL_COMMENT,
    SM_COL_STORAGE,     /* PLAIN, EXTERNAL, EXTENDED, MAIN when not the type's, or NULL */
    SM_COL_COMPRESSION, /* pglz, lz4, or NULL (the default) */
    SM_COL_STATISTICS,  /* the statistics target when set, or NULL */
    /* an identity's sequence options, each ended by '\n': "START WITH 1",
     * "INCREMENT BY 1", "[NO] MINVALUE", "[NO] MAXVALUE", "CACHE 1",
     * "[NO] CYCLE" (MINVALUE and MAXVALUE only when not the default) */
    SM_COL_IDENTITY_OPTIONS,
    SM_COL_TYPE_STORAGE /* the type's storage, what SET STORAGE goes back to: not compared */
};
enum {
    SM_CON_TYPE,     /* p, u, c, x, f */
    SM_CON_DEF,      /* pg_get_constraintdef */
    SM_CON_REFTABLE, /* a foreign key's referenced table */
    SM_CON_COMMENT
};
enum { SM_INDEX_DEF, SM_INDEX_COMMENT };
enum {
    SM_STATS_DEF,    /* pg_get_statisticsobjdef */
    SM_STATS_TARGET, /* ALTER STATISTICS ... SET STATISTICS, when set */
    SM_STATS_COMMENT
};
enum {
    SM_VIEW_KIND, /* "v" / "m" */
    SM_VIEW_DEF,
    SM_VIEW_OPTIONS, /* reloptions as "a=b, c=d", or NULL */
    SM_VIEW_DEPS,    /* relations and functions (not the system's) it reads,
                      * each ended by '\n' */
    SM_VIEW_COMMENT,
    SM_VIEW_COLUMN_COMMENTS, /* "column 'comment'", each ended by '\n', by name */
    SM_VIEW_POPULATED /* a materialized view's "true" / "false" (WITH NO DATA): not compared */
};
enum {
    SM_FUNC_KIND, /* "f" / "p" / "a" (an aggregate) */
    SM_FUNC_DEF,  /* pg_get_functiondef; an aggregate's CREATE OR REPLACE AGGREGATE */
    SM_FUNC_RESULT,
    SM_FUNC_COMMENT,
    /* what CREATE OR REPLACE cannot change, neither compared nor dumped
     * (the definition holds it): each parameter "mode name type", ended
     * by '\n' (the names of the input ones, the row OUT, INOUT and TABLE
     * parameters make), and the number of parameters with defaults */
    SM_FUNC_PARAMS,
    SM_FUNC_DEFAULTS,
    /* what a SQL-standard body (BEGIN ATOMIC, RETURN) reads, parsed when
     * the routine is made: "table" or "table.column", each ended by '\n';
     * neither compared nor dumped */
    SM_FUNC_DEPS
};
enum { SM_TRIGGER_DEF, SM_TRIGGER_ENABLED, SM_TRIGGER_COMMENT };
enum { SM_RULE_DEF /* pg_get_ruledef */, SM_RULE_COMMENT };
enum { SM_EVTRIG_DEF /* a CREATE EVENT TRIGGER statement */, SM_EVTRIG_ENABLED, SM_EVTRIG_COMMENT };
enum { SM_POLICY_DEF /* a CREATE POLICY statement */, SM_POLICY_COMMENT };
/*
 * One privilege of one grantee on one object where it is not the object's
 * default (acldefault): granted, or a default one revoked.  The owner's
 * own privileges are left out.  Key: "on object privilege grantee".
 */
enum {
    SM_GRANT_ON,     /* "table" (also views), "column", "sequence", "schema", "function", "type" */
    SM_GRANT_OBJECT, /* the object's key; a column's table */
    SM_GRANT_COLUMN, /* a column grant's column, else NULL */
    SM_GRANT_PRIVILEGE, /* SELECT, USAGE, EXECUTE, ... */
    SM_GRANT_GRANTEE,   /* a quoted role name, or PUBLIC */
    SM_GRANT_STATE,     /* "granted", "grantable" (WITH GRANT OPTION) or "revoked" */
    SM_GRANT_DEFAULT    /* "true": the object's default privileges include it */
};

typedef struct sm_object {
    sm_kind kind;
    const char *key;   /* quoted, qualified: public.t, public.t.col, ... */
    const char *table; /* the owning table's key, or NULL */
    const char *name;  /* quoted, unqualified */
    const char *const *attrs;
    size_t n_attrs;
} sm_object;

typedef struct sm_model sm_model;

/*
 * Reads the schema of @ctx's database (already connected, inside a call),
 * the bookkeeping tables left out: sm_model_read_scope(SM_SCOPE_SCHEMA).
 * search_path is set to '' for the reads and put back.  On failure the
 * error is on @ctx and *out is NULL.  The objects of kinds the model does
 * not hold (foreign tables and servers, operators, casts, publications,
 * ...) are named in it (sm_unsupported_at), for the caller to refuse a
 * migration that would leave them out.
 */
int sm_model_read(um_ctx *ctx, sm_model **out);

/* The objects sm_model_read found and the model cannot hold, as
 * "publication p", sorted bytewise; none for sm_model_read_scope. */
size_t sm_unsupported_count(const sm_model *m);
const char *sm_unsupported_at(const sm_model *m, size_t i);

/* What a read leaves out besides the system's schemas and the objects of
 * extensions. */
typedef enum sm_scope {
    SM_SCOPE_SCHEMA,    /* the bookkeeping tables, with what hangs on them */
    SM_SCOPE_EVERYTHING /* nothing more: the bookkeeping tables are objects too
                         * (is a database empty?) */
} sm_scope;

/* sm_model_read, with what is left out chosen by @scope. */
int sm_model_read_scope(um_ctx *ctx, sm_scope scope, sm_model **out);

void sm_model_free(sm_model *m);

/* The objects of one kind, sorted by key (byte order). */
size_t sm_count(const sm_model *m, sm_kind kind);
const sm_object *sm_at(const sm_model *m, sm_kind kind, size_t i);

/* The object of @kind with @key, or NULL. */
const sm_object *sm_find(const sm_model *m, sm_kind kind, const char *key);

/* An attribute (NULL when not set or out of range). */
const char *sm_attr(const sm_object *o, size_t i);

/* The attribute is neither compared nor dumped (a column's position and
 * its type's storage, a view's dependencies, what a partition carries
 * from its parent, a routine's parameters apart from its definition,
 * whether a materialized view holds data). */
bool sm_attr_ordinal(sm_kind kind, size_t i);

/* Kind names, as the dump writes them: "table", "column", ... */
const char *sm_kind_name(sm_kind kind);

/* Attribute names, as the dump writes them: "type", "default", ...
 * (NULL out of range). */
const char *sm_attr_name(sm_kind kind, size_t i);

/* @value of attribute @i as a person reads it: the catalogs' one-letter
 * codes in words ("a" identity: "GENERATED ALWAYS", "u" persistence:
 * "unlogged"), else @value itself (NULL stays NULL). */
const char *sm_attr_words(sm_kind kind, size_t i, const char *value);

/*
 * The canonical text of the model: one line per object and attribute,
 * sorted, positions left out.  Two databases with the same schema give the
 * same text.
 */
void sm_dump(const sm_model *m, strbuf *out);

#endif
