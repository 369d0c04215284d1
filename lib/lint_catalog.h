/*
 * lint_catalog.h - what a lint run has seen so far: the tables and indexes
 * its revisions create, the views they define and the CHECK and FOREIGN KEY
 * constraints they add.  Lint has no database: this is its only knowledge
 * of the schema, and it only grows as the run reads statements in order.
 *
 * Names are keyed as "schema.name"; an unqualified name is taken to be in
 * "public" (the search_path a migration usually runs with).  Allocation
 * failures are sticky (lint_catalog_failed), so rules need no error paths.
 * Queries take a non-const catalog: they build their key in its scratch
 * buffer.
 */
#ifndef LIB_LINT_CATALOG_H
#define LIB_LINT_CATALOG_H

#include <stdbool.h>

typedef struct lint_catalog lint_catalog;

/* NULL on out of memory. */
lint_catalog *lint_catalog_new(void);
void lint_catalog_free(lint_catalog *c);

/* true once an allocation failed: the run's result is then UM_ENOMEM. */
bool lint_catalog_failed(const lint_catalog *c);

/* ---- tables ---- */

/* Records a table (or materialized view) created in this run. */
void lint_catalog_add_table(lint_catalog *c, const char *schema, const char *name);

/* Whether the run created @schema.@name (exempt from lock rules). */
bool lint_catalog_is_new_table(lint_catalog *c, const char *schema, const char *name);

/* ---- indexes ---- */

typedef enum lint_index_state {
    LINT_INDEX_UNKNOWN, /* not created in this run */
    LINT_INDEX_ON_NEW,  /* created in this run on a table of this run */
    LINT_INDEX_ON_EXISTING
} lint_index_state;

void lint_catalog_add_index(lint_catalog *c, const char *schema, const char *name, bool on_new);
lint_index_state lint_catalog_index(lint_catalog *c, const char *schema, const char *name);

/* ---- views ---- */

/* Starts recording view @schema.@name, replacing one of that name. */
void lint_catalog_begin_view(lint_catalog *c, const char *schema, const char *name);
/* What the view being recorded reads: a relation, a column name, or "*". */
void lint_catalog_view_reads_table(lint_catalog *c, const char *schema, const char *name);
void lint_catalog_view_reads_column(lint_catalog *c, const char *column);

void lint_catalog_drop_view(lint_catalog *c, const char *schema, const char *name);

/*
 * A view that reads table @schema.@table and a column named @column (or
 * "*"), named as its CREATE VIEW wrote it; NULL when none.  Column names are not tied to
 * their table (a join's columns all count), which errs towards a finding.
 */
const char *lint_catalog_view_using(lint_catalog *c, const char *schema, const char *table,
                                    const char *column);

/* ---- constraints ---- */

/*
 * Records constraint @name on @schema.@table, added in file @serial of the
 * run; @not_null_column is the column of a CHECK (col IS NOT NULL), else
 * NULL; @validated is false for NOT VALID.
 */
void lint_catalog_add_constraint(lint_catalog *c, const char *schema, const char *table,
                                 const char *name, const char *not_null_column, bool validated,
                                 unsigned serial);

/*
 * Marks the constraint validated; returns the serial of the file that added
 * it NOT VALID, or 0 when it was not added NOT VALID in this run (serials
 * start at 1).
 */
unsigned lint_catalog_validate(lint_catalog *c, const char *schema, const char *table,
                               const char *name);

/* Whether a validated CHECK (@column IS NOT NULL) exists on the table. */
bool lint_catalog_has_not_null_check(lint_catalog *c, const char *schema, const char *table,
                                     const char *column);

#endif
