/*
 * catalog.h - a snapshot of a database's schema as the server renders it,
 * and the differences between two snapshots.
 *
 * A snapshot is a list of objects, each a kind ("table", "column",
 * "index", "constraint", "view", "materialized view", "function",
 * "sequence", "type", "trigger", "extension", "schema"), a qualified name
 * (quoted as the server quotes identifiers: public.t, public.t.c,
 * public.f(integer)) and a definition the server renders: pg_get_indexdef,
 * pg_get_constraintdef, pg_get_viewdef, pg_get_functiondef,
 * pg_get_triggerdef, format_type with NOT NULL and DEFAULT for a column,
 * the labels of an enum...  Two schemas are the same when their snapshots
 * are.  System schemas, objects that belong to an extension, and the
 * engine's own bookkeeping tables (with their indexes, constraints and
 * sequences) are left out.
 *
 * Objects come sorted by kind, then name (bytewise), so that a diff is one
 * merge.  The stairway test (roundtrip.c) compares snapshots; autogenerate
 * will compare one with a declared schema.
 */
#ifndef LIB_CATALOG_H
#define LIB_CATALOG_H

#include <stddef.h>

#include "internal.h"

typedef struct catalog_object {
    const char *kind;
    const char *name;
    const char *definition; /* "" when the kind has nothing more to say */
} catalog_object;

typedef struct catalog catalog;

/*
 * Reads the snapshot of @ctx's database, in one query, leaving out the
 * relations of schema @skip_schema named @skip_table or starting with
 * @skip_table and "_" (the bookkeeping tables and what belongs to them),
 * and that schema itself.  NULL @skip_schema: nothing left out.
 * UM_ECONNECT, UM_EAUTH, UM_ESQL, UM_ENOMEM.
 */
int catalog_snapshot(um_ctx *ctx, const char *skip_schema, const char *skip_table, catalog **out);

size_t catalog_count(const catalog *c);
const catalog_object *catalog_at(const catalog *c, size_t i); /* NULL out of range */
void catalog_free(catalog *c);

typedef enum catalog_change {
    CATALOG_ADDED,   /* in the second snapshot only */
    CATALOG_REMOVED, /* in the first only */
    CATALOG_CHANGED  /* in both, with another definition */
} catalog_change;

typedef struct catalog_difference {
    catalog_change change;
    const catalog_object *before; /* NULL when added */
    const catalog_object *after;  /* NULL when removed */
} catalog_difference;

/*
 * The differences from @before to @after, in kind and name order, into a
 * malloc'd array of *@n (pointing into both snapshots).  UM_ENOMEM.
 */
int catalog_diff(const catalog *before, const catalog *after, catalog_difference **out, size_t *n);

#endif
