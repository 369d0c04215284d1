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
 * and created again after.  Within a phase objects come sorted by key, or
 * in dependency order (tables by parent, views by what they read), so the
 * same models always give the same text.
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

typedef struct autogen_diff_options {
    bool compare_type;           /* false: column types and collations are not compared */
    bool compare_server_default; /* false: column defaults are not compared */
} autogen_diff_options;

/*
 * Appends to @out the SQL that turns @from into @to ("" when they do not
 * differ), and counts the destructive statements in *@destructive.
 * Failure is only out of memory: sb_failed(@out).
 */
void autogen_diff(const sm_model *from, const sm_model *to, const autogen_diff_options *opts,
                  strbuf *out, size_t *destructive);

#endif
