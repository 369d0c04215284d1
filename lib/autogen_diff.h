/*
 * autogen_diff.h - the SQL that takes a database from one schema model to
 * another: autogenerate's differ and DDL writer.
 *
 * Statements come in phases that PostgreSQL accepts in order: what
 * depends on an object is dropped before it (triggers, policies, views,
 * foreign keys, constraints and indexes, then tables, first; sequences,
 * functions, domains, types, extensions and schemas last), and created
 * after it (schemas and types first; foreign keys after every table and
 * key; views after their tables; triggers, policies and comments last).
 * A view over a table whose columns change type or go is dropped before
 * and created again after.  A partition that leaves its parent, or whose
 * bound changes, is detached before its parent's indexes and keys go; a
 * table that becomes a partition is attached after its parent's are made,
 * its columns and what it is to have from its parent made ready first.
 * Within a phase objects come sorted by key, or in dependency order
 * (tables by parent, views by what they read), so the same models always
 * give the same text.
 *
 * Statements that lose data (dropping a table, column, sequence, type or
 * schema, an enum value, a type change that may not fit) are preceded by a
 * "-- destructive: ..." line.
 */
#ifndef LIB_AUTOGEN_DIFF_H
#define LIB_AUTOGEN_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "schema_model.h"
#include "strbuf.h"

/*
 * Receives each run of statements the differ writes about one object:
 * bytes [@start, @end) of the output.  @subject is an object of either
 * model.  One statement that concerns several objects (DROP TABLE a, b)
 * is reported to each.  Statements about no one object (SET LOCAL ...)
 * are reported to nobody.
 */
typedef void (*autogen_span_cb)(const sm_object *subject, size_t start, size_t end, void *payload);

typedef struct autogen_diff_options {
    bool compare_type;           /* false: column types and collations are not compared */
    bool compare_server_default; /* false: column defaults are not compared */
    bool compare_privileges;     /* false: grants (SM_GRANT) are not compared */
    autogen_span_cb span_cb;     /* NULL: none */
    void *span_payload;
} autogen_diff_options;

/*
 * Appends to @out the SQL that turns @from into @to ("" when they do not
 * differ), and counts the destructive statements in *@destructive.
 * Failure is only out of memory: sb_failed(@out).
 */
void autogen_diff(const sm_model *from, const sm_model *to, const autogen_diff_options *opts,
                  strbuf *out, size_t *destructive);

/* How an object differs between the two models. */
typedef enum autogen_change {
    AUTOGEN_ADDED,   /* in @to only: the SQL creates it */
    AUTOGEN_REMOVED, /* in @from only: the SQL drops it */
    AUTOGEN_CHANGED  /* in both, an attribute differs */
} autogen_change;

/*
 * Receives one difference: @from and @to are the object in each model
 * (NULL where it is not); @attr is the attribute that differs (an SM_*
 * index of the kind), meaningful for AUTOGEN_CHANGED only.
 */
typedef void (*autogen_change_cb)(autogen_change change, const sm_object *from, const sm_object *to,
                                  size_t attr, void *payload);

/*
 * Calls @cb for each difference autogen_diff() acts on, with the same
 * options (compare_type, compare_server_default): kind by kind, objects by
 * key; a changed object once per compared attribute that differs (an
 * attribute the server derives from another, such as a view's
 * dependencies from its definition, only when nothing else differs).  The
 * columns, constraints, indexes, triggers and policies of a relation that
 * is added or removed are not reported apart from it.
 */
void autogen_diff_changes(const sm_model *from, const sm_model *to,
                          const autogen_diff_options *opts, autogen_change_cb cb, void *payload);

#endif
