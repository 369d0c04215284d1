/*
 * autogen_diff_internal.h - what the modules of the differ share (private
 * to lib/autogen_*.c; see autogen_diff.h for what they do together).
 *
 * One run is split by responsibility: autogen_diff.c decides and orders
 * the phases, autogen_types.c swaps enums, composites and ranges,
 * autogen_partitions.c detaches and attaches partitions, autogen_tables.c
 * makes and alters tables and columns, autogen_objects.c the collations,
 * aggregates, event triggers, typed tables and the settings of tables and
 * columns, autogen_privileges.c grants and revokes.  The decisions are flags on diff_run, and every phase asks the
 * same predicates, so that what one phase drops another knows to create:
 * that is why they are declared here rather than kept in one file.  Each
 * function is described where it is defined.
 */
#ifndef LIB_AUTOGEN_DIFF_INTERNAL_H
#define LIB_AUTOGEN_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "autogen_diff.h"
#include "schema_model.h"
#include "strbuf.h"

/* One call of autogen_diff(): the two models, the output, the decisions. */
typedef struct diff_run {
    const sm_model *from, *to;
    const autogen_diff_options *opts;
    strbuf *out;
    size_t destructive;
    bool *table_rebuilt;      /* per from-table: dropped and created again */
    bool *table_altered;      /* per from-table: columns dropped or retyped, or rebuilt */
    bool *table_detached;     /* per from-table: a partition kept as a table, detached */
    bool *table_attached;     /* per to-table: a kept table attached as a partition */
    bool *view_dropped;       /* per from-view: dropped (gone, changed or over a change) */
    bool *function_refreshed; /* per from-function: goes, or is dropped and made again */
    bool *enum_swapped;       /* per from-enum: replaced by a new type */
    bool *composite_swapped;  /* per from-composite type: replaced by a new type */
    bool *range_swapped;      /* per from-range type: replaced by a new type */
    bool *key_changed;        /* per from-table: a key foreign keys may use is dropped */
    const sm_object *subject; /* what the statements since @mark are about */
    size_t mark;
} diff_run;

/* Runs the statement that follows for each '\n'-ended item of @list: @item
 * points at it, @len is its length. */
#define FOR_EACH_ITEM(list, item, len)                                                             \
    for (const char *item = (list), *item##_end = NULL; item && *item;                             \
         item = *item##_end ? item##_end + 1 : item##_end)                                         \
        for (size_t len = (size_t)((item##_end = item + strcspn(item, "\n")) - item),              \
                    len##_once = 1;                                                                \
             len##_once; len##_once = 0)

/* ---- autogen_diff.c: helpers, statements, decisions, predicates --------- */

bool diff_is_true(const char *v);
bool diff_attr_eq(const sm_object *a, const sm_object *b, size_t i);
bool diff_same_definition(const sm_object *a, const sm_object *b);
size_t diff_index_of(const sm_model *m, const sm_object *o);
const sm_object *diff_twin(const sm_model *m, const sm_object *o);
bool diff_list_has(const char *list, const char *key);
void diff_about(diff_run *r, const sm_object *o);
void diff_stmt(diff_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diff_destructive(diff_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool diff_table_kept(const diff_run *r, const char *key);
bool diff_expression_dropped(const sm_object *f, const sm_object *t);
bool diff_column_regenerated(const diff_run *r, const sm_object *f, const sm_object *t);
bool diff_attr_differs(const diff_run *r, const sm_object *f, const sm_object *t, size_t i);
bool diff_column_retyped(const diff_run *r, const sm_object *f, const sm_object *t);
bool diff_column_gone(const diff_run *r, const sm_object *f);
size_t diff_item_name_len(const char *item, size_t len);
bool diff_validates(const char *from, size_t len, const char *to, size_t to_len);
bool diff_names_type(const char *def, const char *key);
bool diff_calls_refreshed_function(const diff_run *r, const char *def);
bool diff_calls_made_function(const diff_run *r, const char *def);
bool diff_fresh(const diff_run *r, const sm_object *t);
void diff_schema_of(strbuf *sb, const char *key, const char *name);
void diff_index_create(diff_run *r, const char *def, size_t len);

/* ---- autogen_types.c: enums, domains, composite and range types --------- */

bool diff_type_swapped(const diff_run *r, const sm_object *col);
bool diff_domain_swapped(const diff_run *r, const sm_object *dom);
void diff_decide_enums(diff_run *r);
void diff_decide_types(diff_run *r);
bool diff_reads_swapped_type(const diff_run *r, const char *def);
void diff_enums(diff_run *r);
void diff_domains(diff_run *r);
void diff_release_domain_calls(diff_run *r);
void diff_domain_calls_after_functions(diff_run *r);
void diff_composites(diff_run *r);
void diff_ranges(diff_run *r);

/* ---- autogen_partitions.c: partitions detached and attached ------------- */

void diff_decide_moved_tables(diff_run *r);
bool diff_table_detached(const diff_run *r, const char *key);
bool diff_table_attached(const diff_run *r, const char *key);
bool diff_table_moved(const diff_run *r, const char *key);
const sm_object *diff_column_of(const sm_model *m, const char *table, const char *name);
bool diff_attaches_to_parent(const diff_run *r, const sm_object *f);
bool diff_left_by_detach(const diff_run *r, const sm_object *t);
bool diff_rehome_columns(diff_run *r, const char *key, bool write);
void diff_rehome_moved_tables(diff_run *r);
void diff_attach_partitions(diff_run *r);
void diff_detach_partitions(diff_run *r);

/* ---- autogen_tables.c: tables and columns -------------------------------- */

void diff_column_def(strbuf *sb, const sm_object *c);
const sm_object **diff_table_columns(const sm_model *m, const char *table, size_t *n);
void diff_create_tables(diff_run *r);
/* Calls @visit on every table of the target model, each after its
 * partition parent (and, with @inherits, the tables it inherits from). */
typedef void (*diff_table_visit)(diff_run *r, size_t i, const sm_object *t);
void diff_tables_parents_first(diff_run *r, bool inherits, diff_table_visit visit);
bool diff_column_retyped_in(const diff_run *r, const char *table, const sm_object *f,
                            const sm_object *t);
void diff_column_alter(diff_run *r, const char *table, const sm_object *f, const sm_object *t);
void diff_alter_tables(diff_run *r);
void diff_release_columns(diff_run *r);
/* Both integers (smallint, integer, bigint) or both strings (text,
 * varchar): a key of one and a foreign key of the other still join. */
bool diff_types_compare(const char *a, const char *b);

/* ---- autogen_objects.c: other objects, table and column settings -------- */

void diff_collations(diff_run *r);
void diff_aggregates(diff_run *r);
void diff_drop_aggregates(diff_run *r);
void diff_drop_event_triggers(diff_run *r);
void diff_create_event_triggers(diff_run *r);
bool diff_columns_follow_type(const diff_run *r, const char *key);
bool diff_composite_has_tables(const diff_run *r, const char *key);
void diff_unlink_typed_tables(diff_run *r);
void diff_link_typed_tables(diff_run *r);
void diff_table_settings(diff_run *r);
void diff_column_settings(diff_run *r);
void diff_identity_options(strbuf *sb, const sm_object *c);
void diff_identity_alter(diff_run *r, const char *table, const sm_object *f, const sm_object *t);

/* ---- autogen_privileges.c: grants and revokes ---------------------------- */

void diff_privileges(diff_run *r);

#endif
