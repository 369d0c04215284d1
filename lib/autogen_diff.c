/*
 * autogen_diff.c - from one schema model to another (see autogen_diff.h):
 * the run, its decisions and the order of its phases.
 *
 * First the decisions, on flags per object: which tables are rebuilt (a
 * changed partition key or inheritance), which partitions are detached and
 * which tables attached (a new bound or parent), which tables change shape
 * (a column dropped or retyped: the views over them are rebuilt), which
 * views are dropped and which created.  Then the phases write the statements,
 * each asking the same predicates, so that what one phase drops another
 * knows to create.  The phases with most to say live in modules of their
 * own (autogen_diff_internal.h); the drops, constraints, indexes, views,
 * triggers, policies, sequences, functions and comments are written here.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "autogen_diff_internal.h"
#include "util.h"

static const size_t comment_attr[SM_N_KINDS] = {
    [SM_SCHEMA] = SM_SCHEMA_COMMENT,
    [SM_EXTENSION] = SM_EXT_COMMENT,
    [SM_ENUM] = SM_ENUM_COMMENT,
    [SM_DOMAIN] = SM_DOMAIN_COMMENT,
    [SM_SEQUENCE] = SM_SEQ_COMMENT,
    [SM_TABLE] = SM_TABLE_COMMENT,
    [SM_COLUMN] = SM_COL_COMMENT,
    [SM_CONSTRAINT] = SM_CON_COMMENT,
    [SM_INDEX] = SM_INDEX_COMMENT,
    [SM_VIEW] = SM_VIEW_COMMENT,
    [SM_FUNCTION] = SM_FUNC_COMMENT,
    [SM_TRIGGER] = SM_TRIGGER_COMMENT,
    [SM_POLICY] = SM_POLICY_COMMENT,
    [SM_COMPOSITE] = SM_COMPOSITE_COMMENT,
    [SM_RANGE] = SM_RANGE_COMMENT,
    [SM_COLLATION] = SM_COLLATION_COMMENT,
    [SM_STATISTICS] = SM_STATS_COMMENT,
    [SM_RULE] = SM_RULE_COMMENT,
    [SM_EVENT_TRIGGER] = SM_EVTRIG_COMMENT,
};

/* ---- helpers ----------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool diff_is_true(const char *v)
{
    return v && strcmp(v, "true") == 0;
}

bool diff_attr_eq(const sm_object *a, const sm_object *b, size_t i)
{
    return str_eq(sm_attr(a, i), sm_attr(b, i));
}

/* A comment: the object's own, or those on a view's columns. */
static bool comment_like(sm_kind kind, size_t i)
{
    return i == comment_attr[kind] || (kind == SM_VIEW && i == SM_VIEW_COLUMN_COMMENTS);
}

/* Every compared attribute but the comments is equal. */
bool diff_same_definition(const sm_object *a, const sm_object *b)
{
    for (size_t i = 0; i < a->n_attrs; i++)
        if (!comment_like(a->kind, i) && !sm_attr_ordinal(a->kind, i) && !diff_attr_eq(a, b, i))
            return false;
    return true;
}

size_t diff_index_of(const sm_model *m, const sm_object *o)
{
    return (size_t)(o - sm_at(m, o->kind, 0));
}

const sm_object *diff_twin(const sm_model *m, const sm_object *o)
{
    return sm_find(m, o->kind, o->key);
}

/* The item of @list (of '\n'-ended items) equal to @key. */
bool diff_list_has(const char *list, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, "\n");
        if (len == klen && strncmp(p, key, len) == 0)
            return true;
        p += len + (p[len] == '\n');
    }
    return false;
}

/* The statements written from here on are about @o (NULL: no one
 * object); those since the last call go to the span callback. */
void diff_about(diff_run *r, const sm_object *o)
{
    if (r->subject && r->out->len > r->mark && r->opts->span_cb)
        r->opts->span_cb(r->subject, r->mark, r->out->len, r->opts->span_payload);
    r->subject = o;
    r->mark = r->out->len;
}
void diff_stmt(diff_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(r->out, fmt, ap);
    va_end(ap);
    sb_puts(r->out, ";\n");
}
void diff_destructive(diff_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_puts(r->out, "-- destructive: ");
    sb_vprintf(r->out, fmt, ap);
    va_end(ap);
    sb_putc(r->out, '\n');
    r->destructive++;
}

/* ---- decisions: tables ------------------------------------------------- */

/* Some table of @m inherits from @key (INHERITS, not PARTITION OF). */
static bool inherited_from(const sm_model *m, const char *key)
{
    for (size_t i = 0; i < sm_count(m, SM_TABLE); i++)
        if (diff_list_has(sm_attr(sm_at(m, SM_TABLE, i), SM_TABLE_INHERITS), key))
            return true;
    return false;
}

/* A new partition key or inheritance cannot be altered; a new parent or
 * bound is a DETACH and an ATTACH, which the server refuses for a table
 * other tables inherit from. */
static bool table_shape_differs(const sm_model *from, const sm_object *a, const sm_object *b)
{
    if (!diff_attr_eq(a, b, SM_TABLE_PARTKEY) || !diff_attr_eq(a, b, SM_TABLE_INHERITS))
        return true;
    return sm_attr(b, SM_TABLE_PARTOF) && !diff_attr_eq(a, b, SM_TABLE_PARTOF) &&
           inherited_from(from, a->key);
}

/* A column of the partitioned table @f's key changes type (one of its
 * own, or of its root's for a partition that is partitioned in turn):
 * the server refuses ALTER COLUMN ... TYPE under a partition key, so the
 * table is made again, its partitions detached first and attached again
 * with their rows (diff_decide_moved_tables). */
static bool partition_key_retyped(const diff_run *r, const sm_object *f)
{
    const char *partkey = sm_attr(f, SM_TABLE_PARTKEY);
    for (size_t i = 0; partkey && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *t = diff_twin(r->to, c);
        if (t && diff_column_retyped(r, c, t) && diff_names_type(partkey, c->name) &&
            diff_column_of(r->from, f->key, c->name) == c)
            return true;
    }
    return false;
}

/* The from-table @key is kept: in both models and not rebuilt. */
bool diff_table_kept(const diff_run *r, const char *key)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, key);
    return f && sm_find(r->to, SM_TABLE, key) && !r->table_rebuilt[diff_index_of(r->from, f)];
}

/* A table whose inheritance parent goes is rebuilt too: dropping the
 * parent refuses children.  A partition is detached from a parent that
 * goes instead (decide_moved_tables). */
static void decide_rebuilt_tables(diff_run *r)
{
    size_t n = sm_count(r->from, SM_TABLE);
    for (size_t i = 0; i < n; i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = diff_twin(r->to, f);
        r->table_rebuilt[i] =
            t && (table_shape_differs(r->from, f, t) || partition_key_retyped(r, f));
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            const sm_object *f = sm_at(r->from, SM_TABLE, i);
            bool orphan = false;
            FOR_EACH_ITEM(sm_attr(f, SM_TABLE_INHERITS), item, len)
            {
                char *p = strndup(item, len);
                orphan = orphan || !p || !diff_table_kept(r, p);
                free(p);
            }
            if (orphan && !r->table_rebuilt[i] && sm_find(r->to, SM_TABLE, f->key)) {
                r->table_rebuilt[i] = true;
                changed = true;
            }
        }
    }
}

/* The generated column @f becomes the plain column @t. */
bool diff_expression_dropped(const sm_object *f, const sm_object *t)
{
    return t && sm_attr(f, SM_COL_GENERATED) && !sm_attr(t, SM_COL_GENERATED);
}

/* A generated column's expression cannot be altered: dropped and added.
 * So is one that reads a column whose type changes: the server refuses
 * ALTER COLUMN ... TYPE under a generated column. */
bool diff_column_regenerated(const diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *expr = sm_attr(f, SM_COL_GENERATED);
    /* one that becomes a plain column keeps its values (DROP EXPRESSION) */
    if (diff_expression_dropped(f, t))
        return false;
    if (!diff_attr_eq(f, t, SM_COL_GENERATED) || diff_calls_refreshed_function(r, expr))
        return true;
    for (size_t i = 0; expr && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = diff_twin(r->to, c);
        if (c != f && tc && strcmp(c->table, f->table) == 0 && diff_column_retyped(r, c, tc) &&
            diff_names_type(expr, c->name))
            return true;
    }
    return false;
}

/* Whether attribute @i of @kind is compared at all: positions never,
 * column types and defaults as compare_type and compare_server_default
 * say. */
static bool attr_compared(const autogen_diff_options *opts, sm_kind kind, size_t i)
{
    if (sm_attr_ordinal(kind, i))
        return false;
    if (kind == SM_COLUMN && (i == SM_COL_TYPE || i == SM_COL_COLLATION))
        return opts->compare_type;
    if (kind == SM_COLUMN && i == SM_COL_DEFAULT)
        return opts->compare_server_default;
    return true;
}

bool diff_attr_differs(const diff_run *r, const sm_object *f, const sm_object *t, size_t i)
{
    return attr_compared(r->opts, f->kind, i) && !diff_attr_eq(f, t, i);
}

bool diff_column_retyped(const diff_run *r, const sm_object *f, const sm_object *t)
{
    return diff_attr_differs(r, f, t, SM_COL_TYPE) || diff_attr_differs(r, f, t, SM_COL_COLLATION);
}

/* The from-column is dropped (with its table, or alone); one of a table
 * attached stays when its new parent has it. */
bool diff_column_gone(const diff_run *r, const sm_object *f)
{
    const sm_object *t = diff_table_attached(r, f->table) ? diff_column_of(r->to, f->table, f->name)
                                                          : diff_twin(r->to, f);
    return !diff_table_kept(r, f->table) || !t || diff_column_regenerated(r, f, t);
}

/* The from-table @f's partition parent or an inheritance parent of it is
 * altered (decide_altered_tables). */
static bool parent_altered(const diff_run *r, const sm_object *f)
{
    const sm_object *p = sm_find(r->from, SM_TABLE, sm_attr(f, SM_TABLE_PARTOF));
    bool altered = p && r->table_altered[diff_index_of(r->from, p)];
    FOR_EACH_ITEM(sm_attr(f, SM_TABLE_INHERITS), item, len)
    {
        char *key = strndup(item, len);
        p = key ? sm_find(r->from, SM_TABLE, key) : NULL;
        altered = altered || !key || (p && r->table_altered[diff_index_of(r->from, p)]);
        free(key);
    }
    return altered;
}

static void decide_altered_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        r->table_altered[i] =
            !diff_table_kept(r, f->key) ||
            (diff_table_moved(r, f->key) && diff_rehome_columns(r, f->key, false));
    }
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *f = sm_at(r->from, SM_COLUMN, i), *t = diff_twin(r->to, f);
        const sm_object *table = sm_find(r->from, SM_TABLE, f->table);
        if (table && !diff_table_moved(r, f->table) &&
            (diff_column_gone(r, f) || diff_column_retyped(r, f, t) || diff_type_swapped(r, f)))
            r->table_altered[diff_index_of(r->from, table)] = true;
    }
    /* a partition or an inheritance child has its parent's columns: they
     * change with the parent's, under the views over the child too */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++)
            if (!r->table_altered[i] && parent_altered(r, sm_at(r->from, SM_TABLE, i)))
                changed = r->table_altered[i] = true;
    }
}

/* ---- helpers: named list items ------------------------------------------ */

/* The length of the name (quoted or not) that opens a "name ..." item:
 * a composite type's attribute, a domain's check. */
size_t diff_item_name_len(const char *item, size_t len)
{
    size_t i = 0;
    if (item[0] == '"') {
        for (i = 1; i < len; i++)
            if (item[i] == '"' && (i + 1 >= len || item[i + 1] != '"'))
                return i + 1;
            else if (item[i] == '"')
                i++;
        return len;
    }
    while (i < len && item[i] != ' ')
        i++;
    return i;
}

/* @from (@len long) is @to and " NOT VALID": the same constraint of a
 * table or a domain, to be validated where it stands (VALIDATE CONSTRAINT
 * keeps it and scans without the lock a new one would hold). */
bool diff_validates(const char *from, size_t len, const char *to, size_t to_len)
{
    static const char suffix[] = " NOT VALID";
    size_t n = sizeof(suffix) - 1;
    return from && to && len == to_len + n && strncmp(from, to, to_len) == 0 &&
           strncmp(from + to_len, suffix, n) == 0;
}

/* The table constraint @f goes from NOT VALID to valid as @t, and is
 * otherwise the same. */
static bool constraint_validated(const sm_object *f, const sm_object *t)
{
    const char *fd = sm_attr(f, SM_CON_DEF), *td = sm_attr(t, SM_CON_DEF);
    return f->kind == SM_CONSTRAINT && diff_attr_eq(f, t, SM_CON_TYPE) &&
           diff_attr_eq(f, t, SM_CON_REFTABLE) && fd && td &&
           diff_validates(fd, strlen(fd), td, strlen(td));
}

/* ---- decisions: views -------------------------------------------------- */

static bool view_reads_change(const diff_run *r, const sm_object *v)
{
    bool changes = false;
    FOR_EACH_ITEM(sm_attr(v, SM_VIEW_DEPS), item, len)
    {
        char *key = strndup(item, len);
        const sm_object *table = key ? sm_find(r->from, SM_TABLE, key) : NULL;
        const sm_object *view = key ? sm_find(r->from, SM_VIEW, key) : NULL;
        /* a view reading an attribute of a composite type depends on it */
        const sm_object *comp = key ? sm_find(r->from, SM_COMPOSITE, key) : NULL;
        const sm_object *comp_to = comp ? diff_twin(r->to, comp) : NULL;
        /* a function that goes, or is dropped to change its result type */
        const sm_object *fn = key ? sm_find(r->from, SM_FUNCTION, key) : NULL;
        changes = changes || !key || (table && r->table_altered[diff_index_of(r->from, table)]) ||
                  (view && r->view_dropped[diff_index_of(r->from, view)]) ||
                  (comp && (!comp_to || !diff_same_definition(comp, comp_to))) ||
                  (fn && r->function_refreshed[diff_index_of(r->from, fn)]);
        free(key);
    }
    return changes;
}

static void decide_views(diff_run *r)
{
    size_t n = sm_count(r->from, SM_VIEW);
    for (size_t i = 0; i < n; i++) {
        const sm_object *f = sm_at(r->from, SM_VIEW, i), *t = diff_twin(r->to, f);
        r->view_dropped[i] = !t || !diff_same_definition(f, t);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++)
            if (!r->view_dropped[i] && view_reads_change(r, sm_at(r->from, SM_VIEW, i)))
                changed = r->view_dropped[i] = true;
    }
}

/* The relation @key (a table or a materialized view) stays as it is. */
static bool parent_kept(const diff_run *r, const char *key)
{
    const sm_object *v = sm_find(r->from, SM_VIEW, key);
    if (v)
        return sm_find(r->to, SM_VIEW, key) && !r->view_dropped[diff_index_of(r->from, v)];
    return diff_table_kept(r, key);
}

/* ---- decisions: table children ------------------------------------------ */

static bool ident_char(char c)
{
    return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* @def names @key (a type or a column), not merely a longer name. */
bool diff_names_type(const char *def, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = def ? strstr(def, key) : NULL; p; p = strstr(p + 1, key))
        if ((p == def || !ident_char(p[-1]) || p[-1] == '.') && !ident_char(p[n]))
            return true;
    return false;
}

/* @def calls the function @fn (its key is "schema.name(argument types)":
 * the call is "schema.name("); out of memory, the safe answer: yes. */
static bool calls_function(const char *def, const sm_object *fn)
{
    char *name = strndup(fn->key, strcspn(fn->key, "("));
    bool calls = false;
    if (!name)
        return true;
    size_t n = strlen(name);
    for (const char *p = strstr(def, name); p && !calls; p = strstr(p + 1, name))
        calls = (p == def || (!ident_char(p[-1]) && p[-1] != '"')) && p[n] == '(';
    free(name);
    return calls;
}

/* @def calls a function of the from-model that goes, or is dropped and
 * made again to change its result type: what holds the call (a default,
 * an index, a check, a policy, a trigger) must go first. */
bool diff_calls_refreshed_function(const diff_run *r, const char *def)
{
    for (size_t i = 0; def && i < sm_count(r->from, SM_FUNCTION); i++)
        if (r->function_refreshed[i] && calls_function(def, sm_at(r->from, SM_FUNCTION, i)))
            return true;
    return false;
}

/* @def calls a function of the to-model that this run makes (new, or
 * dropped and made again): what holds the call must come after it. */
bool diff_calls_made_function(const diff_run *r, const char *def)
{
    for (size_t i = 0; def && i < sm_count(r->to, SM_FUNCTION); i++) {
        const sm_object *fn = sm_at(r->to, SM_FUNCTION, i);
        if (diff_fresh(r, fn) && calls_function(def, fn))
            return true;
    }
    return false;
}

/* @def names a column of @table that is dropped and added again (a new
 * generation expression): the server drops what uses it with it. */
static bool reads_readded_column(const diff_run *r, const char *table, const char *def)
{
    for (size_t i = 0; table && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i);
        if (strcmp(c->table, table) == 0 && diff_twin(r->to, c) && diff_column_gone(r, c) &&
            diff_names_type(def, c->name))
            return true;
    }
    return false;
}

static const char *child_def(const sm_object *o)
{
    switch (o->kind) {
    case SM_CONSTRAINT:
        return sm_attr(o, SM_CON_DEF);
    case SM_INDEX:
        return sm_attr(o, SM_INDEX_DEF);
    case SM_POLICY:
        return sm_attr(o, SM_POLICY_DEF);
    case SM_STATISTICS:
        return sm_attr(o, SM_STATS_DEF);
    case SM_RULE:
        return sm_attr(o, SM_RULE_DEF);
    default:
        return sm_attr(o, SM_TRIGGER_DEF);
    }
}

/* @def names a view that is dropped. */
static bool reads_dropped_view(const diff_run *r, const char *def)
{
    for (size_t i = 0; i < sm_count(r->from, SM_VIEW); i++)
        if (r->view_dropped[i] && diff_names_type(def, sm_at(r->from, SM_VIEW, i)->key))
            return true;
    return false;
}

/* A rule's action reads a table that changes shape or a view dropped:
 * like a view, it would block the change. */
static bool rule_reads_change(const diff_run *r, const char *def)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++)
        if (r->table_altered[i] && diff_names_type(def, sm_at(r->from, SM_TABLE, i)->key))
            return true;
    return reads_dropped_view(r, def);
}

/* @def names a table that is dropped or made again. */
static bool names_dropped_table(const diff_run *r, const char *def)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *table = sm_at(r->from, SM_TABLE, i);
        if (!diff_table_kept(r, table->key) && diff_names_type(def, table->key))
            return true;
    }
    return false;
}

/* A policy's subquery reads a table made again (its partition key or
 * inheritance changes) or a view dropped: the server would not drop
 * either under it.  (The columns it reads that change type:
 * reads_retyped_column.) */
static bool policy_reads_change(const diff_run *r, const char *def)
{
    return names_dropped_table(r, def) || reads_dropped_view(r, def);
}

/* A column of @table that @def names changes type other than within the
 * integers or the strings (whose types compare with each other). */
static bool names_recast_column(const diff_run *r, const char *table, const char *def)
{
    for (size_t i = 0; table && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = diff_twin(r->to, c);
        if (strcmp(c->table, table) == 0 && tc && diff_column_retyped(r, c, tc) &&
            !diff_types_compare(sm_attr(c, SM_COL_TYPE), sm_attr(tc, SM_COL_TYPE)) &&
            diff_names_type(def, c->name))
            return true;
    }
    return false;
}

/* The table @key of @m is @ancestor, or a partition or an inheritance
 * child of it at some depth: it has its columns. */
static bool descends_from(const sm_model *m, const char *key, const char *ancestor, int depth)
{
    if (strcmp(key, ancestor) == 0)
        return true;
    const sm_object *t = sm_find(m, SM_TABLE, key);
    const char *parent = t ? sm_attr(t, SM_TABLE_PARTOF) : NULL;
    if (!t || depth > 64)
        return false;
    if (parent && descends_from(m, parent, ancestor, depth + 1))
        return true;
    bool found = false;
    FOR_EACH_ITEM(sm_attr(t, SM_TABLE_INHERITS), item, len)
    {
        char *p = strndup(item, len);
        found = found || !p || descends_from(m, p, ancestor, depth + 1);
        free(p);
    }
    return found;
}

/*
 * A column @def reads changes type (retyped, or its type swapped): one of
 * @table's (or of a parent's: a partition, a child), or with @other_tables
 * one of a table @def names (a policy's subquery).  The server refuses
 * ALTER COLUMN ... TYPE under a policy or a trigger (its WHEN clause, its
 * UPDATE OF columns), even one whose text stays the same: they are
 * dropped before and made again after.
 */
static bool reads_retyped_column(const diff_run *r, const char *table, const char *def,
                                 bool other_tables)
{
    for (size_t i = 0; table && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = diff_twin(r->to, c);
        bool own = descends_from(r->from, table, c->table, 0);
        if (!tc || !(own || (other_tables && diff_names_type(def, c->table))))
            continue;
        if ((diff_column_retyped_in(r, c->table, c, tc) || diff_type_swapped(r, c)) &&
            diff_names_type(def, c->name))
            return true;
    }
    return false;
}

/* A constraint, index, statistics object, trigger, rule or policy of
 * @from on a kept relation goes. */
static bool child_dropped(const diff_run *r, const sm_object *f)
{
    const sm_object *t = diff_twin(r->to, f);
    if (!t)
        return !diff_attaches_to_parent(r, f);
    if (!diff_same_definition(f, t) && !constraint_validated(f, t))
        return true;
    const char *def = child_def(f);
    if ((f->kind != SM_TRIGGER && diff_reads_swapped_type(r, def)) ||
        reads_readded_column(r, f->table, def) || diff_calls_refreshed_function(r, def) ||
        (f->kind == SM_RULE && rule_reads_change(r, def)) ||
        (f->kind == SM_POLICY && policy_reads_change(r, def)) ||
        ((f->kind == SM_POLICY || f->kind == SM_TRIGGER) &&
         reads_retyped_column(r, f->table, def, f->kind == SM_POLICY)))
        return true;
    if (f->kind != SM_CONSTRAINT || strcmp(sm_attr(f, SM_CON_TYPE), "f") != 0)
        return false;
    /* a foreign key goes while the key it uses is replaced, or while its
     * two ends change to types it cannot join (integer to uuid) */
    const char *ref = sm_attr(f, SM_CON_REFTABLE);
    const sm_object *rt = ref ? sm_find(r->from, SM_TABLE, ref) : NULL;
    return !diff_table_kept(r, ref) || (rt && r->key_changed[diff_index_of(r->from, rt)]) ||
           names_recast_column(r, f->table, def) || names_recast_column(r, ref, def);
}

static bool is_key(const sm_object *o)
{
    if (o->kind == SM_INDEX)
        return strncmp(sm_attr(o, SM_INDEX_DEF), "CREATE UNIQUE", 13) == 0;
    const char *type = sm_attr(o, SM_CON_TYPE);
    return strcmp(type, "p") == 0 || strcmp(type, "u") == 0;
}

static void decide_key_changes(diff_run *r)
{
    static const sm_kind kinds[] = { SM_CONSTRAINT, SM_INDEX };
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sm_count(r->from, kinds[k]); i++) {
            const sm_object *f = sm_at(r->from, kinds[k], i);
            const sm_object *table = sm_find(r->from, SM_TABLE, f->table);
            const sm_object *t = diff_twin(r->to, f);
            if (table && is_key(f) &&
                (t ? !diff_same_definition(f, t) : !diff_attaches_to_parent(r, f)))
                r->key_changed[diff_index_of(r->from, table)] = true;
        }
}

/* The function @fn takes or returns the row type of the table @table_key
 * (RETURNS SETOF t). */
static bool names_row_type(const sm_object *fn, const char *table_key)
{
    return diff_names_type(fn->key, table_key) ||
           diff_names_type(sm_attr(fn, SM_FUNC_RESULT), table_key);
}

/* The from-function @fn's SQL-standard body reads a table that goes or
 * is made again, or a column that goes or changes type: the server
 * refuses those under it.  (What else it reads, views and sequences, is
 * not followed.) */
static bool body_reads_change(const diff_run *r, const sm_object *fn)
{
    bool changes = false;
    FOR_EACH_ITEM(sm_attr(fn, SM_FUNC_DEPS), item, len)
    {
        char *key = strndup(item, len);
        const sm_object *c = key ? sm_find(r->from, SM_COLUMN, key) : NULL;
        const sm_object *tc = c ? diff_twin(r->to, c) : NULL;
        const sm_object *table = key && !c ? sm_find(r->from, SM_TABLE, key) : NULL;
        changes = changes || !key ||
                  (c && (!diff_table_kept(r, c->table) || !tc || diff_column_retyped(r, c, tc) ||
                         diff_type_swapped(r, c))) ||
                  (table && !diff_table_kept(r, key));
        free(key);
    }
    return changes;
}

/* The from-function @fn uses the row type of a table that is dropped or
 * made again, or its body reads what changes under it: it goes before,
 * as the table or column could not change under it. */
static bool over_dropped_table(const diff_run *r, const sm_object *fn)
{
    /* takes (its key lists the arguments) or returns the row type */
    return names_dropped_table(r, fn->key) || names_dropped_table(r, sm_attr(fn, SM_FUNC_RESULT)) ||
           body_reads_change(r, fn);
}

/* The to-function @fn uses the row type of a table, or its SQL-standard
 * body reads a table (it is parsed when made, whatever
 * check_function_bodies says): it is made once the tables are
 * (functions(r, true)). */
static bool over_table(const diff_run *r, const sm_object *fn)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++)
        if (names_row_type(fn, sm_at(r->to, SM_TABLE, i)->key))
            return true;
    return sm_attr(fn, SM_FUNC_DEPS) != NULL;
}

/* CREATE OR REPLACE refuses a routine whose parameters change other than
 * by new defaults: an input parameter renamed, a default removed, or OUT,
 * INOUT or TABLE parameters that make another row. */
static bool parameters_fixed(const sm_object *f, const sm_object *t)
{
    const char *fd = sm_attr(f, SM_FUNC_DEFAULTS), *td = sm_attr(t, SM_FUNC_DEFAULTS);
    return !diff_attr_eq(f, t, SM_FUNC_PARAMS) || (fd && td && atoi(td) < atoi(fd));
}

/*
 * Which functions go or are dropped to be made again: a new result type,
 * kind or parameters (parameters_fixed), a type they take or return
 * swapped or a table's row type whose table goes (the old one cannot go
 * under them).  Decided once, as what calls them asks for each of its
 * objects (diff_calls_refreshed_function).
 */
static void decide_functions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_FUNCTION); i++) {
        const sm_object *f = sm_at(r->from, SM_FUNCTION, i), *t = diff_twin(r->to, f);
        r->function_refreshed[i] =
            !t || !diff_attr_eq(f, t, SM_FUNC_RESULT) || !diff_attr_eq(f, t, SM_FUNC_KIND) ||
            parameters_fixed(f, t) || diff_reads_swapped_type(r, f->key) ||
            diff_reads_swapped_type(r, sm_attr(f, SM_FUNC_RESULT)) || over_dropped_table(r, f);
    }
}

/* The to-object is made by this run (new, or dropped and made again);
 * for a child, its table's rebuild counts. */
bool diff_fresh(const diff_run *r, const sm_object *t)
{
    const sm_object *f = diff_twin(r->from, t);
    if (!f)
        return !diff_left_by_detach(r, t);
    switch (t->kind) {
    case SM_TABLE:
        return !diff_table_kept(r, t->key);
    case SM_VIEW:
        return r->view_dropped[diff_index_of(r->from, f)];
    case SM_ENUM:
        return r->enum_swapped[diff_index_of(r->from, f)];
    case SM_COMPOSITE:
        return r->composite_swapped[diff_index_of(r->from, f)];
    case SM_RANGE:
        return r->range_swapped[diff_index_of(r->from, f)];
    case SM_DOMAIN:
        return !diff_attr_eq(f, t, SM_DOMAIN_BASE) || !diff_attr_eq(f, t, SM_DOMAIN_COLLATION) ||
               diff_domain_swapped(r, f);
    case SM_COLUMN:
        return diff_column_gone(r, f);
    case SM_CONSTRAINT:
    case SM_INDEX:
    case SM_STATISTICS:
    case SM_TRIGGER:
    case SM_RULE:
    case SM_POLICY:
        return !parent_kept(r, t->table) || child_dropped(r, f);
    case SM_COLLATION:
        return !diff_attr_eq(f, t, SM_COLLATION_DEF);
    case SM_EVENT_TRIGGER:
        return !diff_attr_eq(f, t, SM_EVTRIG_DEF);
    case SM_FUNCTION:
        return r->function_refreshed[diff_index_of(r->from, f)];
    default:
        return false;
    }
}

/* ---- phase: drops before anything changes ------------------------------- */

/* The word DROP and COMMENT ON take before an object's name, by kind
 * (views and routines have more than one: matview(), routine_word()). */
static const char *const kind_word[SM_N_KINDS] = {
    [SM_SCHEMA] = "SCHEMA",
    [SM_EXTENSION] = "EXTENSION",
    [SM_ENUM] = "TYPE",
    [SM_COMPOSITE] = "TYPE",
    [SM_RANGE] = "TYPE",
    [SM_DOMAIN] = "DOMAIN",
    [SM_SEQUENCE] = "SEQUENCE",
    [SM_COLLATION] = "COLLATION",
    [SM_STATISTICS] = "STATISTICS",
    [SM_EVENT_TRIGGER] = "EVENT TRIGGER",
    [SM_TABLE] = "TABLE",
    [SM_COLUMN] = "COLUMN",
    [SM_INDEX] = "INDEX",
    [SM_CONSTRAINT] = "CONSTRAINT",
    [SM_TRIGGER] = "TRIGGER",
    [SM_RULE] = "RULE",
    [SM_POLICY] = "POLICY",
};

static void drop_child(diff_run *r, const sm_object *f)
{
    if (f->kind == SM_CONSTRAINT)
        diff_stmt(r, "ALTER TABLE %s DROP CONSTRAINT %s", f->table, f->name);
    else if (f->kind == SM_INDEX || f->kind == SM_STATISTICS)
        diff_stmt(r, "DROP %s %s", kind_word[f->kind], f->key);
    else if (f->kind == SM_TRIGGER || f->kind == SM_POLICY || f->kind == SM_RULE)
        diff_stmt(r, "DROP %s %s ON %s", kind_word[f->kind], f->name, f->table);
}

/* Drops the children of @kind on kept relations that go or change;
 * @fk: foreign keys only, or none of them. */
static void drop_children(diff_run *r, sm_kind kind, int fk)
{
    for (size_t i = 0; i < sm_count(r->from, kind); i++) {
        const sm_object *f = sm_at(r->from, kind, i);
        bool is_fk = kind == SM_CONSTRAINT && strcmp(sm_attr(f, SM_CON_TYPE), "f") == 0;
        if (fk >= 0 && is_fk != (fk == 1))
            continue;
        if (parent_kept(r, f->table) && child_dropped(r, f)) {
            diff_about(r, f);
            drop_child(r, f);
        }
    }
}

/* A foreign key on a table that is neither partitioned nor a partition:
 * no partition holds a clone of it. */
static bool fk_unshared(const diff_run *r, const sm_object *f)
{
    const sm_object *table = sm_find(r->from, SM_TABLE, f->table);
    return table && !sm_attr(table, SM_TABLE_PARTKEY) && !sm_attr(table, SM_TABLE_PARTOF);
}

/* The foreign keys of kept tables that go or change, @unshared ones
 * (fk_unshared) or the others.  The unshared go before partitions are
 * detached: a detach checks the rows of the foreign keys into the
 * partitioned table, which those may still hold; the others after, as
 * what the partition has of them is its own once detached. */
static void drop_foreign_keys(diff_run *r, bool unshared)
{
    for (size_t i = 0; i < sm_count(r->from, SM_CONSTRAINT); i++) {
        const sm_object *f = sm_at(r->from, SM_CONSTRAINT, i);
        if (strcmp(sm_attr(f, SM_CON_TYPE), "f") == 0 && fk_unshared(r, f) == unshared &&
            parent_kept(r, f->table) && child_dropped(r, f)) {
            diff_about(r, f);
            drop_child(r, f);
        }
    }
}

/* Depth-first: the views @v reads (in @m) before @v.  @flags selects. */
static void view_order_visit(const sm_model *m, size_t i, const bool *take, bool *seen,
                             size_t *order, size_t *n)
{
    if (seen[i])
        return;
    seen[i] = true;
    FOR_EACH_ITEM(sm_attr(sm_at(m, SM_VIEW, i), SM_VIEW_DEPS), item, len)
    {
        char *key = strndup(item, len);
        const sm_object *dep = key ? sm_find(m, SM_VIEW, key) : NULL;
        if (dep && take[diff_index_of(m, dep)])
            view_order_visit(m, diff_index_of(m, dep), take, seen, order, n);
        free(key);
    }
    order[(*n)++] = i;
}

/* The views of @m with @take set, each after the views it reads. */
static size_t *view_order(const sm_model *m, const bool *take, size_t *n)
{
    size_t count = sm_count(m, SM_VIEW);
    size_t *order = util_calloc(count, sizeof(*order));
    bool *seen = util_calloc(count, sizeof(*seen));
    *n = 0;
    if (order && seen)
        for (size_t i = 0; i < count; i++)
            if (take[i])
                view_order_visit(m, i, take, seen, order, n);
    free(seen);
    if (!order || !seen) {
        free(order);
        return NULL;
    }
    return order;
}

static bool matview(const sm_object *v)
{
    return strcmp(sm_attr(v, SM_VIEW_KIND), "m") == 0;
}

static void drop_views(diff_run *r)
{
    size_t n = 0, *order = view_order(r->from, r->view_dropped, &n);
    if (!order) {
        r->out->failed = true;
        return;
    }
    for (size_t i = n; i-- > 0;) {
        const sm_object *v = sm_at(r->from, SM_VIEW, order[i]);
        diff_about(r, v);
        diff_stmt(r, "DROP %s %s", matview(v) ? "MATERIALIZED VIEW" : "VIEW", v->key);
    }
    free(order);
}

/* A sequence whose owning column goes (or which changes owner) is let go
 * first: dropping the column would take the sequence with it. */
static bool owner_released(const diff_run *r, const sm_object *f)
{
    const char *owner = sm_attr(f, SM_SEQ_OWNED_BY);
    if (!owner)
        return false;
    const sm_object *t = diff_twin(r->to, f);
    const sm_object *col = sm_find(r->from, SM_COLUMN, owner);
    return !t || !str_eq(owner, sm_attr(t, SM_SEQ_OWNED_BY)) || !col || diff_column_gone(r, col);
}

static void release_sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_SEQUENCE); i++) {
        const sm_object *f = sm_at(r->from, SM_SEQUENCE, i);
        if (owner_released(r, f)) {
            diff_about(r, f);
            diff_stmt(r, "ALTER SEQUENCE %s OWNED BY NONE", f->key);
        }
    }
}

/* ---- phase: schemas, extensions, sequences, functions ------------------- */

static void create_simple(diff_run *r, sm_kind kind)
{
    for (size_t i = 0; i < sm_count(r->to, kind); i++) {
        const sm_object *t = sm_at(r->to, kind, i);
        if (diff_twin(r->from, t))
            continue;
        diff_about(r, t);
        if (kind == SM_SCHEMA)
            diff_stmt(r, "CREATE SCHEMA %s", t->key);
        else
            diff_stmt(r, "CREATE EXTENSION IF NOT EXISTS %s SCHEMA %s VERSION %s", t->key,
                      sm_attr(t, SM_EXT_SCHEMA), sm_attr(t, SM_EXT_VERSION));
    }
}

static void alter_extensions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_EXTENSION); i++) {
        const sm_object *t = sm_at(r->to, SM_EXTENSION, i), *f = diff_twin(r->from, t);
        if (f && !diff_attr_eq(f, t, SM_EXT_SCHEMA)) {
            diff_about(r, t);
            diff_stmt(r, "ALTER EXTENSION %s SET SCHEMA %s", t->key, sm_attr(t, SM_EXT_SCHEMA));
        }
        /* the server refuses a version without an update path to it */
        if (f && !diff_attr_eq(f, t, SM_EXT_VERSION)) {
            diff_about(r, t);
            diff_stmt(r, "ALTER EXTENSION %s UPDATE TO %s", t->key, sm_attr(t, SM_EXT_VERSION));
        }
    }
}

/* The schema part of a qualified key ("public" of public.mood), as the
 * server quoted it. */
void diff_schema_of(strbuf *sb, const char *key, const char *name)
{
    size_t klen = strlen(key), nlen = strlen(name);
    if (klen > nlen + 1)
        sb_append(sb, key, klen - nlen - 1);
}

/* The options of a CREATE or ALTER SEQUENCE, then @tail and the end. */
static void sequence_options(diff_run *r, const sm_object *t, const char *tail)
{
    sb_printf(r->out, " AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s",
              sm_attr(t, SM_SEQ_TYPE), sm_attr(t, SM_SEQ_INCREMENT), sm_attr(t, SM_SEQ_MIN),
              sm_attr(t, SM_SEQ_MAX), sm_attr(t, SM_SEQ_START), sm_attr(t, SM_SEQ_CACHE),
              diff_is_true(sm_attr(t, SM_SEQ_CYCLE)) ? "CYCLE" : "NO CYCLE");
    sb_printf(r->out, "%s;\n", tail);
}

static bool sequence_options_differ(const sm_object *f, const sm_object *t)
{
    for (size_t i = SM_SEQ_TYPE; i <= SM_SEQ_CYCLE; i++)
        if (!diff_attr_eq(f, t, i))
            return true;
    return false;
}

static void sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_SEQUENCE); i++) {
        const sm_object *t = sm_at(r->to, SM_SEQUENCE, i), *f = diff_twin(r->from, t);
        diff_about(r, t);
        if (!f) {
            sb_printf(r->out, "CREATE SEQUENCE %s", t->key);
            sequence_options(r, t, "");
        } else if (sequence_options_differ(f, t)) {
            /* a narrower range may exclude the current value: restarted */
            bool narrower = atoll(sm_attr(t, SM_SEQ_MIN)) > atoll(sm_attr(f, SM_SEQ_MIN)) ||
                            atoll(sm_attr(t, SM_SEQ_MAX)) < atoll(sm_attr(f, SM_SEQ_MAX));
            if (narrower)
                diff_destructive(r, "sequence %s narrows its range and restarts at %s", t->key,
                                 sm_attr(t, SM_SEQ_START));
            sb_printf(r->out, "ALTER SEQUENCE %s", t->key);
            sequence_options(r, t, narrower ? " RESTART" : "");
        }
    }
}

static bool sql_function(const sm_object *t)
{
    return strstr(sm_attr(t, SM_FUNC_DEF), "LANGUAGE sql") != NULL;
}

static const char *routine_word(const sm_object *o)
{
    const char *kind = sm_attr(o, SM_FUNC_KIND);
    return strcmp(kind, "p") == 0 ? "PROCEDURE" : strcmp(kind, "a") == 0 ? "AGGREGATE" : "FUNCTION";
}

/* New and changed functions: CREATE OR REPLACE, or dropped first when the
 * result type or kind changes (REPLACE cannot). */
/* Functions dropped to be made again (diff_fresh: a new result type or
 * kind, a type they take or return swapped), before any type changes and
 * once what calls them is gone; made again by functions(). */
static void drop_refreshed_functions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_FUNCTION); i++) {
        const sm_object *f = sm_at(r->from, SM_FUNCTION, i), *t = diff_twin(r->to, f);
        /* one that goes over a table that goes: here too (drop_removed) */
        if ((t ? !diff_fresh(r, t) : !over_dropped_table(r, f)) ||
            strcmp(sm_attr(f, SM_FUNC_KIND), "a") == 0)
            continue;
        diff_about(r, f);
        diff_stmt(r, "DROP %s %s", routine_word(f), f->key);
    }
}

/* New and changed functions: those over a table's row type once the
 * tables are made (@over_tables), the others before. */
static void functions(diff_run *r, bool over_tables)
{
    bool unchecked = false;
    for (size_t i = 0; i < sm_count(r->to, SM_FUNCTION); i++) {
        const sm_object *t = sm_at(r->to, SM_FUNCTION, i), *f = diff_twin(r->from, t);
        /* aggregates after every function (diff_aggregates) */
        if ((f && diff_same_definition(f, t) && !diff_fresh(r, t)) ||
            strcmp(sm_attr(t, SM_FUNC_KIND), "a") == 0 || over_table(r, t) != over_tables)
            continue;
        /* a SQL function's body may read tables this revision creates later */
        if (sql_function(t) && !unchecked) {
            diff_about(r, NULL);
            diff_stmt(r, "SET LOCAL check_function_bodies = off");
            unchecked = true;
        }
        diff_about(r, t);
        sb_puts(r->out, sm_attr(t, SM_FUNC_DEF));
        sb_puts(r->out, ";\n");
    }
}

static void own_sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_SEQUENCE); i++) {
        const sm_object *t = sm_at(r->to, SM_SEQUENCE, i), *f = diff_twin(r->from, t);
        const char *owner = sm_attr(t, SM_SEQ_OWNED_BY);
        if (owner && (!f || owner_released(r, f) || !sm_attr(f, SM_SEQ_OWNED_BY))) {
            diff_about(r, t);
            diff_stmt(r, "ALTER SEQUENCE %s OWNED BY %s", t->key, owner);
        }
    }
}

/* ---- phase: what goes after the tables are changed ---------------------- */

/* The one DROP TABLE statement (@start onwards) is about each table it drops. */
static void drop_tables_spans(diff_run *r, size_t start)
{
    if (!r->opts->span_cb || r->out->len == start)
        return;
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        if (!diff_table_kept(r, f->key))
            r->opts->span_cb(f, start, r->out->len, r->opts->span_payload);
    }
}

static void drop_tables(diff_run *r)
{
    strbuf list = STRBUF_INIT;
    diff_about(r, NULL);
    size_t start = r->out->len;
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        if (diff_table_kept(r, f->key))
            continue;
        diff_destructive(r, "drops table %s and its data%s", f->key,
                         sm_find(r->to, SM_TABLE, f->key) ? " (it is created again)" : "");
        sb_printf(&list, "%s%s", list.len ? ", " : "", f->key);
    }
    /* one statement: the server orders partitions, children and foreign
     * keys among the tables itself */
    if (list.len)
        diff_stmt(r, "DROP TABLE %s", sb_str(&list) ? sb_str(&list) : "");
    if (sb_failed(&list))
        r->out->failed = true;
    sb_free(&list);
    drop_tables_spans(r, start);
    r->mark = r->out->len;
}

/* What a drop of each kind destroys that holds data (a warning each). */
static const char *const destroyed_noun[SM_N_KINDS] = {
    [SM_SEQUENCE] = "sequence",
    [SM_COMPOSITE] = "type",
    [SM_RANGE] = "type",
    [SM_SCHEMA] = "schema",
};

static void drop_removed(diff_run *r, sm_kind kind)
{
    for (size_t i = 0; i < sm_count(r->from, kind); i++) {
        const sm_object *f = sm_at(r->from, kind, i);
        if (diff_twin(r->to, f))
            continue;
        diff_about(r, f);
        if (kind == SM_FUNCTION) {
            /* aggregates went before (diff_drop_aggregates), and those
             * over a table that went before it (drop_refreshed_functions) */
            if (strcmp(sm_attr(f, SM_FUNC_KIND), "a") != 0 && !over_dropped_table(r, f))
                diff_stmt(r, "DROP %s %s", routine_word(f), f->key);
            continue;
        }
        if (destroyed_noun[kind])
            diff_destructive(r, "drops %s %s", destroyed_noun[kind], f->key);
        diff_stmt(r, "DROP %s %s", kind_word[kind], f->key);
    }
}

/* ---- phase: constraints, indexes, views, triggers, policies ------------- */

/* CREATE INDEX from @def (@len long).  An index on a partitioned table is
 * read back "ON ONLY": made that way it would not reach the partitions. */
void diff_index_create(diff_run *r, const char *def, size_t len)
{
    const char *only = strstr(def, " ON ONLY ");
    if (only && only < def + len)
        diff_stmt(r, "%.*s ON %.*s", (int)(only - def), def, (int)(def + len - only - 9), only + 9);
    else
        diff_stmt(r, "%.*s", (int)len, def);
}

static void create_child(diff_run *r, const sm_object *t)
{
    switch (t->kind) {
    case SM_CONSTRAINT:
        diff_stmt(r, "ALTER TABLE %s ADD CONSTRAINT %s %s", t->table, t->name,
                  sm_attr(t, SM_CON_DEF));
        break;
    case SM_INDEX:
        diff_index_create(r, sm_attr(t, SM_INDEX_DEF), strlen(sm_attr(t, SM_INDEX_DEF)));
        break;
    case SM_POLICY:
        diff_stmt(r, "%s", sm_attr(t, SM_POLICY_DEF));
        break;
    case SM_STATISTICS:
        diff_stmt(r, "%s", sm_attr(t, SM_STATS_DEF));
        if (sm_attr(t, SM_STATS_TARGET))
            diff_stmt(r, "ALTER STATISTICS %s SET STATISTICS %s", t->key,
                      sm_attr(t, SM_STATS_TARGET));
        break;
    case SM_RULE: {
        /* pg_get_ruledef ends the statement itself */
        const char *def = sm_attr(t, SM_RULE_DEF);
        size_t len = strlen(def);
        while (len > 0 && (def[len - 1] == ';' || def[len - 1] == '\n' || def[len - 1] == ' '))
            len--;
        diff_stmt(r, "%.*s", (int)len, def);
        break;
    }
    case SM_TRIGGER: {
        const char *enabled = sm_attr(t, SM_TRIGGER_ENABLED);
        diff_stmt(r, "%s", sm_attr(t, SM_TRIGGER_DEF));
        if (enabled && *enabled != 'O')
            diff_stmt(r, "ALTER TABLE %s %s TRIGGER %s", t->table,
                      *enabled == 'D'   ? "DISABLE"
                      : *enabled == 'R' ? "ENABLE REPLICA"
                                        : "ENABLE ALWAYS",
                      t->name);
        break;
    }
    default:
        break;
    }
}

/* Creates the children of @kind that this run makes; @fk as in
 * drop_children; @on_views: on materialized views, or on tables. */
static void create_children(diff_run *r, sm_kind kind, int fk, bool on_views)
{
    for (size_t i = 0; i < sm_count(r->to, kind); i++) {
        const sm_object *t = sm_at(r->to, kind, i);
        bool is_fk = kind == SM_CONSTRAINT && strcmp(sm_attr(t, SM_CON_TYPE), "f") == 0;
        if ((fk >= 0 && is_fk != (fk == 1)) ||
            (sm_find(r->to, SM_VIEW, t->table) != NULL) != on_views)
            continue;
        if (diff_fresh(r, t)) {
            diff_about(r, t);
            create_child(r, t);
        }
    }
}

/* The foreign keys this run makes that reference a partitioned table
 * (@into_partitioned) or not.  Those go after the partitions are
 * attached: the rows they check may be in a partition attached by then. */
static void create_foreign_keys(diff_run *r, bool into_partitioned)
{
    for (size_t i = 0; i < sm_count(r->to, SM_CONSTRAINT); i++) {
        const sm_object *t = sm_at(r->to, SM_CONSTRAINT, i);
        const sm_object *ref = sm_find(r->to, SM_TABLE, sm_attr(t, SM_CON_REFTABLE));
        if (strcmp(sm_attr(t, SM_CON_TYPE), "f") == 0 &&
            (ref && sm_attr(ref, SM_TABLE_PARTKEY)) == into_partitioned && diff_fresh(r, t)) {
            diff_about(r, t);
            create_child(r, t);
        }
    }
}

/* The constraints of kept tables that only go from NOT VALID to valid,
 * once the keys and foreign keys are all there. */
static void validate_constraints(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_CONSTRAINT); i++) {
        const sm_object *t = sm_at(r->to, SM_CONSTRAINT, i), *f = diff_twin(r->from, t);
        if (f && constraint_validated(f, t) && !diff_fresh(r, t)) {
            diff_about(r, t);
            diff_stmt(r, "ALTER TABLE %s VALIDATE CONSTRAINT %s", t->table, t->name);
        }
    }
}

static void create_views(diff_run *r)
{
    size_t count = sm_count(r->to, SM_VIEW), n = 0;
    bool *take = util_calloc(count, sizeof(*take));
    for (size_t i = 0; take && i < count; i++)
        take[i] = diff_fresh(r, sm_at(r->to, SM_VIEW, i));
    size_t *order = take ? view_order(r->to, take, &n) : NULL;
    if (!order)
        r->out->failed = true;
    for (size_t i = 0; order && i < n; i++) {
        const sm_object *v = sm_at(r->to, SM_VIEW, order[i]);
        const char *options = sm_attr(v, SM_VIEW_OPTIONS);
        diff_about(r, v);
        const char *def = sm_attr(v, SM_VIEW_DEF);
        size_t len = strlen(def);
        while (len > 0 && (def[len - 1] == ';' || def[len - 1] == '\n' || def[len - 1] == ' '))
            len--;
        sb_printf(r->out, "CREATE %s %s", matview(v) ? "MATERIALIZED VIEW" : "VIEW", v->key);
        if (options && *options)
            sb_printf(r->out, " WITH (%s)", options);
        /* as the schema file made it: a view over one not populated must
         * not be either */
        sb_printf(r->out, " AS\n%.*s%s;\n", (int)len, def,
                  matview(v) && !diff_is_true(sm_attr(v, SM_VIEW_POPULATED)) ? "\nWITH NO DATA"
                                                                             : "");
    }
    free(order);
    free(take);
}

static void row_security(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = diff_twin(r->from, t);
        bool was = f && !diff_fresh(r, t);
        diff_about(r, t);
        if (was ? !diff_attr_eq(f, t, SM_TABLE_RLS) : diff_is_true(sm_attr(t, SM_TABLE_RLS)))
            diff_stmt(r, "ALTER TABLE %s %s ROW LEVEL SECURITY", t->key,
                      diff_is_true(sm_attr(t, SM_TABLE_RLS)) ? "ENABLE" : "DISABLE");
        if (was ? !diff_attr_eq(f, t, SM_TABLE_FORCE_RLS)
                : diff_is_true(sm_attr(t, SM_TABLE_FORCE_RLS)))
            diff_stmt(r, "ALTER TABLE %s %s ROW LEVEL SECURITY", t->key,
                      diff_is_true(sm_attr(t, SM_TABLE_FORCE_RLS)) ? "FORCE" : "NO FORCE");
    }
}

/* ---- phase: comments ---------------------------------------------------- */

static void comment_target(diff_run *r, const sm_object *t)
{
    switch (t->kind) {
    case SM_VIEW:
        sb_printf(r->out, "%s %s", matview(t) ? "MATERIALIZED VIEW" : "VIEW", t->key);
        break;
    case SM_FUNCTION:
        sb_printf(r->out, "%s %s", routine_word(t), t->key);
        break;
    case SM_CONSTRAINT:
    case SM_TRIGGER:
    case SM_RULE:
    case SM_POLICY:
        sb_printf(r->out, "%s %s ON %s", kind_word[t->kind], t->name, t->table);
        break;
    default:
        if (kind_word[t->kind])
            sb_printf(r->out, "%s %s", kind_word[t->kind], t->key);
        break;
    }
}

/* COMMENT ON COLUMN for the columns of the view @t whose comments
 * @was (NULL: none) lacks, IS NULL for those @t lacks. */
static void view_column_comments(diff_run *r, const sm_object *t, const char *was)
{
    const char *want = sm_attr(t, SM_VIEW_COLUMN_COMMENTS);
    FOR_EACH_ITEM(was, item, len)
    {
        size_t n = diff_item_name_len(item, len);
        bool kept = false;
        FOR_EACH_ITEM(want, w, wlen)
        kept = kept || (diff_item_name_len(w, wlen) == n && strncmp(w, item, n) == 0);
        if (!kept)
            diff_stmt(r, "COMMENT ON COLUMN %s.%.*s IS NULL", t->key, (int)n, item);
    }
    FOR_EACH_ITEM(want, item, len)
    {
        char *whole = strndup(item, len);
        size_t n = diff_item_name_len(item, len);
        if (!whole)
            r->out->failed = true;
        else if (!diff_list_has(was, whole))
            diff_stmt(r, "COMMENT ON COLUMN %s.%.*s IS %s", t->key, (int)n, item,
                      whole + (n < len ? n + 1 : len));
        free(whole);
    }
}

static void comments(diff_run *r)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++)
        for (size_t i = 0; kind != SM_GRANT && i < sm_count(r->to, (sm_kind)kind); i++) {
            const sm_object *t = sm_at(r->to, (sm_kind)kind, i), *f = diff_twin(r->from, t);
            const char *want = sm_attr(t, comment_attr[kind]);
            bool made = !f || diff_fresh(r, t);
            if (kind == SM_VIEW && (made || !diff_attr_eq(f, t, SM_VIEW_COLUMN_COMMENTS))) {
                diff_about(r, t);
                view_column_comments(r, t, made ? NULL : sm_attr(f, SM_VIEW_COLUMN_COMMENTS));
            }
            if (made ? !want : str_eq(want, sm_attr(f, comment_attr[kind])))
                continue;
            diff_about(r, t);
            sb_puts(r->out, "COMMENT ON ");
            comment_target(r, t);
            diff_stmt(r, " IS %s", want ? want : "NULL");
        }
}

/* ---- the run ------------------------------------------------------------ */

static void write_phases(diff_run *r)
{
    drop_children(r, SM_TRIGGER, -1);
    drop_children(r, SM_RULE, -1);
    drop_children(r, SM_POLICY, -1);
    diff_drop_event_triggers(r);
    drop_views(r);
    drop_foreign_keys(r, true);
    /* before its parent's indexes and keys go, which would take the
     * partition's with them */
    diff_detach_partitions(r);
    drop_foreign_keys(r, false);
    drop_children(r, SM_CONSTRAINT, 0);
    drop_children(r, SM_INDEX, -1);
    drop_children(r, SM_STATISTICS, -1);
    release_sequences(r);
    diff_release_columns(r);
    diff_release_domain_calls(r);
    drop_refreshed_functions(r);
    /* before any table is made: a rebuilt table is made again below */
    drop_tables(r);
    create_simple(r, SM_SCHEMA);
    create_simple(r, SM_EXTENSION);
    alter_extensions(r);
    diff_collations(r);
    diff_unlink_typed_tables(r);
    diff_enums(r);
    diff_domains(r);
    diff_ranges(r);
    diff_composites(r);
    sequences(r);
    functions(r, false);
    diff_aggregates(r);
    diff_create_tables(r);
    diff_alter_tables(r);
    functions(r, true);
    diff_domain_calls_after_functions(r);
    diff_rehome_moved_tables(r);
    diff_column_settings(r);
    diff_link_typed_tables(r);
    own_sequences(r);
    drop_removed(r, SM_SEQUENCE);
    diff_drop_aggregates(r);
    drop_removed(r, SM_FUNCTION);
    drop_removed(r, SM_COMPOSITE);
    drop_removed(r, SM_RANGE);
    drop_removed(r, SM_DOMAIN);
    drop_removed(r, SM_ENUM);
    drop_removed(r, SM_COLLATION);
    drop_removed(r, SM_EXTENSION);
    drop_removed(r, SM_SCHEMA);
    create_children(r, SM_CONSTRAINT, 0, false);
    create_children(r, SM_INDEX, -1, false);
    create_children(r, SM_STATISTICS, -1, false);
    create_foreign_keys(r, false);
    diff_attach_partitions(r);
    create_foreign_keys(r, true);
    validate_constraints(r);
    create_views(r);
    create_children(r, SM_INDEX, -1, true);
    create_children(r, SM_STATISTICS, -1, true);
    diff_table_settings(r);
    row_security(r);
    create_children(r, SM_TRIGGER, -1, false);
    create_children(r, SM_TRIGGER, -1, true);
    create_children(r, SM_RULE, -1, false);
    create_children(r, SM_RULE, -1, true);
    create_children(r, SM_POLICY, -1, false);
    diff_create_event_triggers(r);
    diff_privileges(r);
    comments(r);
    diff_about(r, NULL);
}

void autogen_diff(const sm_model *from, const sm_model *to, const autogen_diff_options *opts,
                  strbuf *out, size_t *n_destructive)
{
    diff_run r = { .from = from, .to = to, .opts = opts, .out = out, .mark = out->len };
    size_t tables = sm_count(from, SM_TABLE);
    r.table_rebuilt = util_calloc(tables, sizeof(bool));
    r.table_altered = util_calloc(tables, sizeof(bool));
    r.key_changed = util_calloc(tables, sizeof(bool));
    r.table_detached = util_calloc(tables, sizeof(bool));
    r.table_attached = util_calloc(sm_count(to, SM_TABLE), sizeof(bool));
    r.view_dropped = util_calloc(sm_count(from, SM_VIEW), sizeof(bool));
    r.enum_swapped = util_calloc(sm_count(from, SM_ENUM), sizeof(bool));
    r.composite_swapped = util_calloc(sm_count(from, SM_COMPOSITE), sizeof(bool));
    r.range_swapped = util_calloc(sm_count(from, SM_RANGE), sizeof(bool));
    r.function_refreshed = util_calloc(sm_count(from, SM_FUNCTION), sizeof(bool));
    if (r.table_rebuilt && r.table_altered && r.key_changed && r.table_detached &&
        r.table_attached && r.view_dropped && r.enum_swapped && r.composite_swapped &&
        r.range_swapped && r.function_refreshed) {
        decide_rebuilt_tables(&r);
        diff_decide_moved_tables(&r);
        diff_decide_enums(&r);
        diff_decide_types(&r);
        decide_functions(&r);
        decide_altered_tables(&r);
        decide_key_changes(&r);
        decide_views(&r);
        write_phases(&r);
    } else {
        out->failed = true;
    }
    *n_destructive = r.destructive;
    free(r.table_rebuilt);
    free(r.table_altered);
    free(r.key_changed);
    free(r.table_detached);
    free(r.table_attached);
    free(r.view_dropped);
    free(r.function_refreshed);
    free(r.enum_swapped);
    free(r.composite_swapped);
    free(r.range_swapped);
}

/* ---- the differences, object by object ---------------------------------- */

/* Attributes the server derives from another one of the same object (a
 * view's dependencies from its definition): reported only alone. */
static bool attr_derived(sm_kind kind, size_t i)
{
    return (kind == SM_VIEW && i == SM_VIEW_DEPS) ||
           (kind == SM_CONSTRAINT && (i == SM_CON_TYPE || i == SM_CON_REFTABLE)) ||
           (kind == SM_FUNCTION && i == SM_FUNC_RESULT);
}

/* A child (column, constraint, index...) whose relation is not in @m: the
 * relation's own difference speaks for it. */
static bool owner_missing(const sm_model *m, const sm_object *o)
{
    return o->table && !sm_find(m, SM_TABLE, o->table) && !sm_find(m, SM_VIEW, o->table);
}

static void report_changed(const sm_object *f, const sm_object *t, const autogen_diff_options *opts,
                           autogen_change_cb cb, void *payload)
{
    size_t own = 0;
    for (size_t i = 0; i < f->n_attrs; i++)
        own +=
            attr_compared(opts, f->kind, i) && !attr_derived(f->kind, i) && !diff_attr_eq(f, t, i);
    for (size_t i = 0; i < f->n_attrs; i++)
        if (attr_compared(opts, f->kind, i) && (!own || !attr_derived(f->kind, i)) &&
            !diff_attr_eq(f, t, i))
            cb(AUTOGEN_CHANGED, f, t, i, payload);
}

void autogen_diff_changes(const sm_model *from, const sm_model *to,
                          const autogen_diff_options *opts, autogen_change_cb cb, void *payload)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++) {
        if (kind == SM_GRANT && !opts->compare_privileges)
            continue;
        for (size_t i = 0; i < sm_count(from, (sm_kind)kind); i++) {
            const sm_object *f = sm_at(from, (sm_kind)kind, i), *t = diff_twin(to, f);
            if (t)
                report_changed(f, t, opts, cb, payload);
            else if (!owner_missing(to, f))
                cb(AUTOGEN_REMOVED, f, NULL, 0, payload);
        }
        for (size_t i = 0; i < sm_count(to, (sm_kind)kind); i++) {
            const sm_object *t = sm_at(to, (sm_kind)kind, i);
            if (!diff_twin(from, t) && !owner_missing(from, t))
                cb(AUTOGEN_ADDED, NULL, t, 0, payload);
        }
    }
}
