/*
 * autogen_diff.c - from one schema model to another (see autogen_diff.h).
 *
 * First the decisions, on flags per object: which tables are rebuilt (a
 * changed partition key or inheritance), which partitions are detached and
 * which tables attached (a new bound or parent), which tables change shape
 * (a column dropped or retyped: the views over them are rebuilt), which
 * views are dropped and which created.  Then the phases write the statements,
 * each asking the same predicates, so that what one phase drops another
 * knows to create.
 */
#include "autogen_diff.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The suffix a type (enum, composite, range) takes while it is swapped
 * for its new definition. */
#define ENUM_OLD_SUFFIX "__ultramigrate_old"

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
    bool *enum_swapped;       /* per from-enum: replaced by a new type */
    bool *composite_swapped;  /* per from-composite type: replaced by a new type */
    bool *range_swapped;      /* per from-range type: replaced by a new type */
    bool *key_changed;        /* per from-table: a key foreign keys may use is dropped */
    const sm_object *subject; /* what the statements since @mark are about */
    size_t mark;
} diff_run;

static const size_t comment_attr[SM_N_KINDS] = {
    [SM_SCHEMA] = SM_SCHEMA_COMMENT, [SM_EXTENSION] = SM_EXT_COMMENT,
    [SM_ENUM] = SM_ENUM_COMMENT,     [SM_DOMAIN] = SM_DOMAIN_COMMENT,
    [SM_SEQUENCE] = SM_SEQ_COMMENT,  [SM_TABLE] = SM_TABLE_COMMENT,
    [SM_COLUMN] = SM_COL_COMMENT,    [SM_CONSTRAINT] = SM_CON_COMMENT,
    [SM_INDEX] = SM_INDEX_COMMENT,   [SM_VIEW] = SM_VIEW_COMMENT,
    [SM_FUNCTION] = SM_FUNC_COMMENT, [SM_TRIGGER] = SM_TRIGGER_COMMENT,
    [SM_POLICY] = SM_POLICY_COMMENT, [SM_COMPOSITE] = SM_COMPOSITE_COMMENT,
    [SM_RANGE] = SM_RANGE_COMMENT,
};

/* ---- helpers ----------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool is_true(const char *v)
{
    return v && strcmp(v, "true") == 0;
}

static bool attr_eq(const sm_object *a, const sm_object *b, size_t i)
{
    return str_eq(sm_attr(a, i), sm_attr(b, i));
}

/* Every compared attribute but the comment is equal. */
static bool same_definition(const sm_object *a, const sm_object *b)
{
    for (size_t i = 0; i < a->n_attrs; i++)
        if (i != comment_attr[a->kind] && !sm_attr_ordinal(a->kind, i) && !attr_eq(a, b, i))
            return false;
    return true;
}

static size_t index_of(const sm_model *m, const sm_object *o)
{
    return (size_t)(o - sm_at(m, o->kind, 0));
}

static const sm_object *twin(const sm_model *m, const sm_object *o)
{
    return sm_find(m, o->kind, o->key);
}

/* Runs the statement that follows for each '\n'-ended item of @list: @item
 * points at it, @len is its length. */
#define FOR_EACH_ITEM(list, item, len)                                                             \
    for (const char *item = (list), *item##_end = NULL; item && *item;                             \
         item = *item##_end ? item##_end + 1 : item##_end)                                         \
        for (size_t len = (size_t)((item##_end = item + strcspn(item, "\n")) - item),              \
                    len##_once = 1;                                                                \
             len##_once; len##_once = 0)

/* The item of @list (of '\n'-ended items) equal to @key. */
static bool list_has(const char *list, const char *key)
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
static void about(diff_run *r, const sm_object *o)
{
    if (r->subject && r->out->len > r->mark && r->opts->span_cb)
        r->opts->span_cb(r->subject, r->mark, r->out->len, r->opts->span_payload);
    r->subject = o;
    r->mark = r->out->len;
}

static void stmt(diff_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stmt(diff_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(r->out, fmt, ap);
    va_end(ap);
    sb_puts(r->out, ";\n");
}

static void destructive(diff_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void destructive(diff_run *r, const char *fmt, ...)
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
        if (list_has(sm_attr(sm_at(m, SM_TABLE, i), SM_TABLE_INHERITS), key))
            return true;
    return false;
}

/* A new partition key or inheritance cannot be altered; a new parent or
 * bound is a DETACH and an ATTACH, which the server refuses for a table
 * other tables inherit from. */
static bool table_shape_differs(const sm_model *from, const sm_object *a, const sm_object *b)
{
    if (!attr_eq(a, b, SM_TABLE_PARTKEY) || !attr_eq(a, b, SM_TABLE_INHERITS))
        return true;
    return sm_attr(b, SM_TABLE_PARTOF) && !attr_eq(a, b, SM_TABLE_PARTOF) &&
           inherited_from(from, a->key);
}

/* The from-table @key is kept: in both models and not rebuilt. */
static bool table_kept(const diff_run *r, const char *key)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, key);
    return f && sm_find(r->to, SM_TABLE, key) && !r->table_rebuilt[index_of(r->from, f)];
}

/* A table whose inheritance parent goes is rebuilt too: dropping the
 * parent refuses children.  A partition is detached from a parent that
 * goes instead (decide_moved_tables). */
static void decide_rebuilt_tables(diff_run *r)
{
    size_t n = sm_count(r->from, SM_TABLE);
    for (size_t i = 0; i < n; i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = twin(r->to, f);
        r->table_rebuilt[i] = t && table_shape_differs(r->from, f, t);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            const sm_object *f = sm_at(r->from, SM_TABLE, i);
            bool orphan = false;
            FOR_EACH_ITEM(sm_attr(f, SM_TABLE_INHERITS), item, len)
            {
                char *p = strndup(item, len);
                orphan = orphan || !p || !table_kept(r, p);
                free(p);
            }
            if (orphan && !r->table_rebuilt[i] && sm_find(r->to, SM_TABLE, f->key)) {
                r->table_rebuilt[i] = true;
                changed = true;
            }
        }
    }
}

/* A kept partition whose parent or bound changes, or whose parent goes or
 * is rebuilt, is detached (its rows stay); a kept table that becomes a
 * partition, or is detached, is attached to its new parent. */
static void decide_moved_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = twin(r->to, f);
        const char *parent = sm_attr(f, SM_TABLE_PARTOF);
        r->table_detached[i] = parent && table_kept(r, f->key) &&
                               (!attr_eq(f, t, SM_TABLE_PARTOF) || !attr_eq(f, t, SM_TABLE_BOUND) ||
                                !table_kept(r, parent));
    }
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = twin(r->from, t);
        r->table_attached[i] =
            f && sm_attr(t, SM_TABLE_PARTOF) && table_kept(r, t->key) &&
            (!sm_attr(f, SM_TABLE_PARTOF) || r->table_detached[index_of(r->from, f)]);
    }
}

static bool table_detached(const diff_run *r, const char *key)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, key);
    return f && r->table_detached[index_of(r->from, f)];
}

static bool table_attached(const diff_run *r, const char *key)
{
    const sm_object *t = sm_find(r->to, SM_TABLE, key);
    return t && r->table_attached[index_of(r->to, t)];
}

/* Its columns go from its parent's to its own, or from its own to its new
 * parent's (attach_partitions, rehome_columns). */
static bool table_moved(const diff_run *r, const char *key)
{
    return table_detached(r, key) || table_attached(r, key);
}

/* The table of @m whose columns the table @key has: a partition has
 * only its root's. */
static const char *column_owner(const sm_model *m, const char *key)
{
    const sm_object *t = sm_find(m, SM_TABLE, key);
    for (int depth = 0; t && sm_attr(t, SM_TABLE_PARTOF) && depth < 64; depth++) {
        key = sm_attr(t, SM_TABLE_PARTOF);
        t = sm_find(m, SM_TABLE, key);
    }
    return key;
}

/* The column @name of the table @table in @m, a partition's being its
 * root's. */
static const sm_object *column_of(const sm_model *m, const char *table, const char *name)
{
    strbuf key = STRBUF_INIT;
    sb_printf(&key, "%s.%s", column_owner(m, table), name);
    const sm_object *c = sm_find(m, SM_COLUMN, sb_str(&key));
    sb_free(&key);
    return c;
}

/* A generated column's expression cannot be altered: dropped and added. */
static bool column_regenerated(const sm_object *f, const sm_object *t)
{
    return !attr_eq(f, t, SM_COL_GENERATED);
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

static bool attr_differs(const diff_run *r, const sm_object *f, const sm_object *t, size_t i)
{
    return attr_compared(r->opts, f->kind, i) && !attr_eq(f, t, i);
}

static bool column_retyped(const diff_run *r, const sm_object *f, const sm_object *t)
{
    return attr_differs(r, f, t, SM_COL_TYPE) || attr_differs(r, f, t, SM_COL_COLLATION);
}

/* The from-column is dropped (with its table, or alone); one of a table
 * attached stays when its new parent has it. */
static bool column_gone(const diff_run *r, const sm_object *f)
{
    const sm_object *t =
        table_attached(r, f->table) ? column_of(r->to, f->table, f->name) : twin(r->to, f);
    return !table_kept(r, f->table) || !t || column_regenerated(f, t);
}

/* An enum column's type (or array of it) is @type_key. */
static bool of_type(const sm_object *col, const char *type_key)
{
    const char *type = sm_attr(col, SM_COL_TYPE);
    size_t n = strlen(type_key);
    return type && strncmp(type, type_key, n) == 0 &&
           (type[n] == '\0' || strcmp(type + n, "[]") == 0);
}

/* Whether @uses(@subject, key) holds for the key of an enum, composite or
 * range type that is swapped for a new one. */
static bool uses_swapped_type(const diff_run *r, bool (*uses)(const void *, const char *),
                              const void *subject)
{
    static const sm_kind kinds[] = { SM_ENUM, SM_COMPOSITE, SM_RANGE };
    for (size_t k = 0; k < 3; k++) {
        const bool *swapped = kinds[k] == SM_ENUM        ? r->enum_swapped
                              : kinds[k] == SM_COMPOSITE ? r->composite_swapped
                                                         : r->range_swapped;
        for (size_t i = 0; i < sm_count(r->from, kinds[k]); i++)
            if (swapped[i] && uses(subject, sm_at(r->from, kinds[k], i)->key))
                return true;
    }
    return false;
}

static bool column_of_type(const void *col, const char *type_key)
{
    return of_type(col, type_key);
}

/* The column's type is swapped for a new one: the column is moved to it,
 * so views over it are rebuilt. */
static bool type_swapped(const diff_run *r, const sm_object *col)
{
    return uses_swapped_type(r, column_of_type, col);
}

static bool rehome_columns(diff_run *r, const char *key, bool write);

static void decide_altered_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        r->table_altered[i] =
            !table_kept(r, f->key) || (table_moved(r, f->key) && rehome_columns(r, f->key, false));
    }
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *f = sm_at(r->from, SM_COLUMN, i), *t = twin(r->to, f);
        const sm_object *table = sm_find(r->from, SM_TABLE, f->table);
        if (table && !table_moved(r, f->table) &&
            (column_gone(r, f) || column_retyped(r, f, t) || type_swapped(r, f)))
            r->table_altered[index_of(r->from, table)] = true;
    }
}

/* ---- decisions: enums -------------------------------------------------- */

/* @from's labels appear in @to in the same order: ADD VALUE suffices. */
static bool labels_extend(const char *from, const char *to)
{
    const char *p = to;
    FOR_EACH_ITEM(from, item, len)
    {
        bool found = false;
        while (p && *p && !found) {
            size_t l = strcspn(p, "\n");
            found = l == len && strncmp(p, item, len) == 0;
            p += l + (p[l] == '\n');
        }
        if (!found)
            return false;
    }
    return true;
}

static void decide_enums(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_ENUM); i++) {
        const sm_object *f = sm_at(r->from, SM_ENUM, i), *t = twin(r->to, f);
        r->enum_swapped[i] =
            t && !labels_extend(sm_attr(f, SM_ENUM_LABELS), sm_attr(t, SM_ENUM_LABELS));
    }
}

/* ---- decisions: composite and range types ------------------------------- */

/* The length of the name (quoted or not) that opens a "name ..." item:
 * a composite type's attribute, a domain's check. */
static size_t item_name_len(const char *item, size_t len)
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

/* The item of @list whose name is that of @item (@nlen long), or NULL;
 * its length in *@len. */
static const char *item_named(const char *list, const char *item, size_t nlen, size_t *len)
{
    FOR_EACH_ITEM(list, p, l)
    {
        if (item_name_len(p, l) == nlen && strncmp(p, item, nlen) == 0) {
            *len = l;
            return p;
        }
    }
    return NULL;
}

/* ALTER TYPE ... DROP/ADD/ALTER ATTRIBUTE reaches @to's attributes in
 * @to's order: kept ones keep their order and new ones come last.  An
 * attribute retyped under a column of the type is not allowed either. */
static bool attributes_alterable(const diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_COMPOSITE_ATTRS), *to = sm_attr(t, SM_COMPOSITE_ATTRS);
    bool added = false, retyped = false, in_order = true;
    const char *last = from;
    FOR_EACH_ITEM(to, item, len)
    {
        size_t flen = 0, nlen = item_name_len(item, len);
        const char *old = item_named(from, item, nlen, &flen);
        if (!old) {
            added = true;
            continue;
        }
        /* a kept attribute after a new one, or before an earlier kept one */
        in_order = in_order && !added && old >= last;
        last = old;
        retyped = retyped || flen != len || strncmp(old, item, len) != 0;
    }
    if (!in_order)
        return false;
    for (size_t i = 0; retyped && i < sm_count(r->from, SM_COLUMN); i++)
        if (of_type(sm_at(r->from, SM_COLUMN, i), f->key))
            return false;
    return true;
}

static void decide_types(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COMPOSITE); i++) {
        const sm_object *f = sm_at(r->from, SM_COMPOSITE, i), *t = twin(r->to, f);
        r->composite_swapped[i] = t && !attributes_alterable(r, f, t);
    }
    /* a range type cannot be altered: any change makes it again */
    for (size_t i = 0; i < sm_count(r->from, SM_RANGE); i++) {
        const sm_object *f = sm_at(r->from, SM_RANGE, i), *t = twin(r->to, f);
        r->range_swapped[i] = t && !same_definition(f, t);
    }
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
        const sm_object *comp_to = comp ? twin(r->to, comp) : NULL;
        changes = changes || !key || (table && r->table_altered[index_of(r->from, table)]) ||
                  (view && r->view_dropped[index_of(r->from, view)]) ||
                  (comp && (!comp_to || !same_definition(comp, comp_to)));
        free(key);
    }
    return changes;
}

static void decide_views(diff_run *r)
{
    size_t n = sm_count(r->from, SM_VIEW);
    for (size_t i = 0; i < n; i++) {
        const sm_object *f = sm_at(r->from, SM_VIEW, i), *t = twin(r->to, f);
        r->view_dropped[i] = !t || !same_definition(f, t);
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
        return sm_find(r->to, SM_VIEW, key) && !r->view_dropped[index_of(r->from, v)];
    return table_kept(r, key);
}

/* ---- decisions: table children ------------------------------------------ */

static bool ident_char(char c)
{
    return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* @def names @key (a type or a column), not merely a longer name. */
static bool names_type(const char *def, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = def ? strstr(def, key) : NULL; p; p = strstr(p + 1, key))
        if ((p == def || !ident_char(p[-1]) || p[-1] == '.') && !ident_char(p[n]))
            return true;
    return false;
}

/* @def names a column of @table that is dropped and added again (a new
 * generation expression): the server drops what uses it with it. */
static bool reads_readded_column(const diff_run *r, const char *table, const char *def)
{
    for (size_t i = 0; table && i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i);
        if (strcmp(c->table, table) == 0 && twin(r->to, c) && column_gone(r, c) &&
            names_type(def, c->name))
            return true;
    }
    return false;
}

/* @def (a check or an index) casts to a type that is swapped: it would
 * not survive its columns moving to the new type. */
static bool def_names_type(const void *def, const char *type_key)
{
    return names_type(def, type_key);
}

static bool reads_swapped_type(const diff_run *r, const char *def)
{
    return uses_swapped_type(r, def_names_type, def);
}

/* ---- decisions: what partitions have from their parents ---------------- */

/* An index or a constraint as SM_TABLE_FROM_PARENT lists it. */
typedef struct part_item {
    char letter;      /* 'i' (an index) or the constraint's type */
    const char *name; /* quoted, unqualified */
    size_t name_len;
    const char *def; /* pg_get_indexdef, pg_get_constraintdef */
    size_t def_len;
} part_item;

/* Reads the item "L name definition", @len long. */
static bool item_parse(const char *item, size_t len, part_item *out)
{
    if (len < 4 || item[1] != ' ')
        return false;
    out->letter = item[0];
    out->name = item + 2;
    out->name_len = item_name_len(out->name, len - 2);
    if (out->name_len + 3 > len)
        return false;
    out->def = out->name + out->name_len + 1;
    out->def_len = (size_t)(item + len - out->def);
    return true;
}

/* An index or a constraint of a model as an item. */
static part_item child_item(const sm_object *o)
{
    bool index = o->kind == SM_INDEX;
    const char *def = sm_attr(o, index ? SM_INDEX_DEF : SM_CON_DEF);
    part_item it = { index ? 'i' : sm_attr(o, SM_CON_TYPE)[0], o->name, strlen(o->name), def,
                     strlen(def) };
    return it;
}

/* What follows an index's name and table: "USING btree (a)". */
static const char *index_body(const part_item *it, size_t *len)
{
    for (const char *p = it->def; p + 7 <= it->def + it->def_len; p++)
        if (strncmp(p, " USING ", 7) == 0) {
            *len = (size_t)(it->def + it->def_len - p);
            return p;
        }
    *len = it->def_len;
    return it->def;
}

/* The same index or constraint whatever its name and table: what ATTACH
 * matches a partition's own with its parent's on (a part of it). */
static bool items_match(const part_item *a, const part_item *b)
{
    if (a->letter != b->letter)
        return false;
    if (a->letter != 'i')
        return a->def_len == b->def_len && strncmp(a->def, b->def, a->def_len) == 0;
    size_t la = 0, lb = 0;
    const char *ba = index_body(a, &la), *bb = index_body(b, &lb);
    return (strncmp(a->def, "CREATE UNIQUE", 13) == 0) ==
               (strncmp(b->def, "CREATE UNIQUE", 13) == 0) &&
           la == lb && strncmp(ba, bb, la) == 0;
}

/* The item of @list (a SM_TABLE_FROM_PARENT) that matches @want, in
 * *@out. */
static bool list_match(const char *list, const part_item *want, part_item *out)
{
    FOR_EACH_ITEM(list, item, len)
    {
        if (item_parse(item, len, out) && items_match(out, want))
            return true;
    }
    return false;
}

/* An index or constraint of @table in @m without a twin in @other that
 * matches @want, or NULL. */
static const sm_object *lone_child_match(const sm_model *m, const sm_model *other,
                                         const char *table, const part_item *want)
{
    static const sm_kind kinds[] = { SM_INDEX, SM_CONSTRAINT };
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sm_count(m, kinds[k]); i++) {
            const sm_object *o = sm_at(m, kinds[k], i);
            part_item it;
            if (strcmp(o->table, table) != 0 || twin(other, o))
                continue;
            it = child_item(o);
            if (items_match(&it, want))
                return o;
        }
    return NULL;
}

/* A from-index or constraint that the server attaches to its parent's
 * when its table is attached: kept (it leaves the model then). */
static bool attaches_to_parent(const diff_run *r, const sm_object *f)
{
    const sm_object *t = sm_find(r->to, SM_TABLE, f->table);
    part_item have, want;
    if (!t || !r->table_attached[index_of(r->to, t)] ||
        (f->kind != SM_INDEX && f->kind != SM_CONSTRAINT))
        return false;
    have = child_item(f);
    return list_match(sm_attr(t, SM_TABLE_FROM_PARENT), &have, &want);
}

/* A to-index or constraint that a partition detached (and not attached
 * again) already has, as its own now: not made. */
static bool left_by_detach(const diff_run *r, const sm_object *t)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, t->table ? t->table : "");
    part_item want, have;
    if (!f || !r->table_detached[index_of(r->from, f)] || table_attached(r, t->table) ||
        (t->kind != SM_INDEX && t->kind != SM_CONSTRAINT))
        return false;
    want = child_item(t);
    return list_match(sm_attr(f, SM_TABLE_FROM_PARENT), &want, &have);
}

/* A constraint, index, trigger or policy of @from on a kept table goes. */
static bool child_dropped(const diff_run *r, const sm_object *f)
{
    const sm_object *t = twin(r->to, f);
    if (!t)
        return !attaches_to_parent(r, f);
    if (!same_definition(f, t))
        return true;
    const char *def = f->kind == SM_CONSTRAINT ? sm_attr(f, SM_CON_DEF)
                      : f->kind == SM_INDEX    ? sm_attr(f, SM_INDEX_DEF)
                      : f->kind == SM_POLICY   ? sm_attr(f, SM_POLICY_DEF)
                                               : sm_attr(f, SM_TRIGGER_DEF);
    if ((f->kind != SM_TRIGGER && reads_swapped_type(r, def)) ||
        reads_readded_column(r, f->table, def))
        return true;
    if (f->kind != SM_CONSTRAINT || strcmp(sm_attr(f, SM_CON_TYPE), "f") != 0)
        return false;
    /* a foreign key goes while the key it uses is replaced */
    const char *ref = sm_attr(f, SM_CON_REFTABLE);
    const sm_object *rt = ref ? sm_find(r->from, SM_TABLE, ref) : NULL;
    return !table_kept(r, ref) || (rt && r->key_changed[index_of(r->from, rt)]);
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
            const sm_object *t = twin(r->to, f);
            if (table && is_key(f) && (t ? !same_definition(f, t) : !attaches_to_parent(r, f)))
                r->key_changed[index_of(r->from, table)] = true;
        }
}

/* The to-object is made by this run (new, or dropped and made again);
 * for a child, its table's rebuild counts. */
static bool fresh(const diff_run *r, const sm_object *t)
{
    const sm_object *f = twin(r->from, t);
    if (!f)
        return !left_by_detach(r, t);
    switch (t->kind) {
    case SM_TABLE:
        return !table_kept(r, t->key);
    case SM_VIEW:
        return r->view_dropped[index_of(r->from, f)];
    case SM_ENUM:
        return r->enum_swapped[index_of(r->from, f)];
    case SM_COMPOSITE:
        return r->composite_swapped[index_of(r->from, f)];
    case SM_RANGE:
        return r->range_swapped[index_of(r->from, f)];
    case SM_DOMAIN:
        return !attr_eq(f, t, SM_DOMAIN_BASE) || !attr_eq(f, t, SM_DOMAIN_COLLATION);
    case SM_COLUMN:
        return column_gone(r, f);
    case SM_CONSTRAINT:
    case SM_INDEX:
    case SM_TRIGGER:
    case SM_POLICY:
        return !parent_kept(r, t->table) || child_dropped(r, f);
    case SM_FUNCTION:
        return !attr_eq(f, t, SM_FUNC_RESULT) || !attr_eq(f, t, SM_FUNC_KIND);
    default:
        return false;
    }
}

/* ---- phase: drops before anything changes ------------------------------- */

static void drop_child(diff_run *r, const sm_object *f)
{
    switch (f->kind) {
    case SM_TRIGGER:
        stmt(r, "DROP TRIGGER %s ON %s", f->name, f->table);
        break;
    case SM_POLICY:
        stmt(r, "DROP POLICY %s ON %s", f->name, f->table);
        break;
    case SM_CONSTRAINT:
        stmt(r, "ALTER TABLE %s DROP CONSTRAINT %s", f->table, f->name);
        break;
    case SM_INDEX:
        stmt(r, "DROP INDEX %s", f->key);
        break;
    default:
        break;
    }
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
            about(r, f);
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
        if (dep && take[index_of(m, dep)])
            view_order_visit(m, index_of(m, dep), take, seen, order, n);
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
        about(r, v);
        stmt(r, "DROP %s %s", matview(v) ? "MATERIALIZED VIEW" : "VIEW", v->key);
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
    const sm_object *t = twin(r->to, f);
    const sm_object *col = sm_find(r->from, SM_COLUMN, owner);
    return !t || !str_eq(owner, sm_attr(t, SM_SEQ_OWNED_BY)) || !col || column_gone(r, col);
}

static void release_sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_SEQUENCE); i++) {
        const sm_object *f = sm_at(r->from, SM_SEQUENCE, i);
        if (owner_released(r, f)) {
            about(r, f);
            stmt(r, "ALTER SEQUENCE %s OWNED BY NONE", f->key);
        }
    }
}

/* ---- phase: types, sequences, functions --------------------------------- */

static void create_simple(diff_run *r, sm_kind kind)
{
    for (size_t i = 0; i < sm_count(r->to, kind); i++) {
        const sm_object *t = sm_at(r->to, kind, i);
        if (twin(r->from, t))
            continue;
        about(r, t);
        if (kind == SM_SCHEMA)
            stmt(r, "CREATE SCHEMA %s", t->key);
        else
            stmt(r, "CREATE EXTENSION IF NOT EXISTS %s SCHEMA %s", t->key,
                 sm_attr(t, SM_EXT_SCHEMA));
    }
}

static void alter_extensions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_EXTENSION); i++) {
        const sm_object *t = sm_at(r->to, SM_EXTENSION, i), *f = twin(r->from, t);
        if (f && !attr_eq(f, t, SM_EXT_SCHEMA)) {
            about(r, t);
            stmt(r, "ALTER EXTENSION %s SET SCHEMA %s", t->key, sm_attr(t, SM_EXT_SCHEMA));
        }
    }
}

static void enum_create(diff_run *r, const sm_object *t)
{
    sb_printf(r->out, "CREATE TYPE %s AS ENUM (", t->key);
    bool first = true;
    FOR_EACH_ITEM(sm_attr(t, SM_ENUM_LABELS), item, len)
    {
        sb_printf(r->out, "%s%.*s", first ? "" : ", ", (int)len, item);
        first = false;
    }
    sb_puts(r->out, ");\n");
}

/* ADD VALUE for each label of @t that @f lacks, placed before the next
 * label @f has (or at the end). */
static void enum_add_values(diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_ENUM_LABELS);
    FOR_EACH_ITEM(sm_attr(t, SM_ENUM_LABELS), item, len)
    {
        char *label = strndup(item, len);
        if (!label) {
            r->out->failed = true;
            return;
        }
        if (!list_has(from, label)) {
            const char *before = NULL;
            size_t before_len = 0;
            for (const char *p = item + len + (item[len] == '\n'); p && *p && !before;) {
                size_t l = strcspn(p, "\n");
                char *next = strndup(p, l);
                if (next && list_has(from, next)) {
                    before = p;
                    before_len = l;
                }
                free(next);
                p += l + (p[l] == '\n');
            }
            if (before)
                stmt(r, "ALTER TYPE %s ADD VALUE %s BEFORE %.*s", t->key, label, (int)before_len,
                     before);
            else
                stmt(r, "ALTER TYPE %s ADD VALUE %s", t->key, label);
        }
        free(label);
    }
}

/* "name" + suffix as an identifier: inside the quotes of a quoted one. */
static void suffixed_name(strbuf *sb, const char *name, const char *suffix)
{
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '"')
        sb_printf(sb, "%.*s%s\"", (int)(len - 1), name, suffix);
    else
        sb_printf(sb, "%s%s", name, suffix);
}

/* The schema part of a qualified key ("public" of public.mood), as the
 * server quoted it. */
static void schema_of(strbuf *sb, const char *key, const char *name)
{
    size_t klen = strlen(key), nlen = strlen(name);
    if (klen > nlen + 1)
        sb_append(sb, key, klen - nlen - 1);
}

/* The type @key (named @name) renamed out of the way; @old gets its new
 * qualified key. */
static void rename_old(diff_run *r, const char *key, const char *name, strbuf *old)
{
    strbuf old_name = STRBUF_INIT;
    schema_of(old, key, name);
    sb_putc(old, '.');
    suffixed_name(&old_name, name, ENUM_OLD_SUFFIX);
    sb_puts(old, sb_str(&old_name) ? sb_str(&old_name) : "");
    stmt(r, "ALTER TYPE %s RENAME TO %s", key, sb_str(&old_name) ? sb_str(&old_name) : "");
    if (sb_failed(old) || sb_failed(&old_name))
        r->out->failed = true;
    sb_free(&old_name);
}

/* ROW(...) of a composite value @col from the attributes of @f to those
 * of @t: a kept attribute cast to its new type, a new one NULL.  Through
 * text a row with another number of attributes would not cast. */
static void composite_using(diff_run *r, const char *col, const sm_object *f, const sm_object *t)
{
    bool first = true;
    sb_puts(r->out, "ROW(");
    FOR_EACH_ITEM(sm_attr(t, SM_COMPOSITE_ATTRS), item, len)
    {
        size_t nlen = item_name_len(item, len), flen = 0;
        const char *type = item + nlen + (nlen < len);
        size_t tlen = (size_t)(item + len - type);
        const char *collate = strstr(type, " COLLATE ");
        if (collate && collate < item + len)
            tlen = (size_t)(collate - type);
        sb_puts(r->out, first ? "" : ", ");
        first = false;
        if (item_named(sm_attr(f, SM_COMPOSITE_ATTRS), item, nlen, &flen))
            sb_printf(r->out, "(%s).%.*s::%.*s", col, (int)nlen, item, (int)tlen, type);
        else
            sb_printf(r->out, "NULL::%.*s", (int)tlen, type);
    }
    sb_putc(r->out, ')');
}

/* Every kept column of the type @f moved to its new definition @t (made
 * already) through text, then the renamed old type @old dropped. */
static void move_columns(diff_run *r, const sm_object *f, const sm_object *t, const strbuf *old)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = twin(r->to, c);
        if (!of_type(c, f->key) || column_gone(r, c) || !of_type(tc, t->key))
            continue;
        bool array = strcmp(sm_attr(c, SM_COL_TYPE), f->key) != 0;
        if (sm_attr(c, SM_COL_DEFAULT))
            stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", c->table, c->name);
        sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING ", c->table, c->name,
                  sm_attr(tc, SM_COL_TYPE));
        if (f->kind == SM_COMPOSITE && !array)
            composite_using(r, c->name, f, t);
        else
            sb_printf(r->out, "%s::text%s", c->name, array ? "[]" : "");
        stmt(r, "::%s", sm_attr(tc, SM_COL_TYPE));
        if (sm_attr(tc, SM_COL_DEFAULT))
            stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", c->table, c->name,
                 sm_attr(tc, SM_COL_DEFAULT));
    }
    stmt(r, "DROP TYPE %s", sb_str(old) ? sb_str(old) : "");
}

/* A removed or reordered label: the type is renamed, made again, every
 * column moved to it through text, and the old one dropped. */
static void enum_swap(diff_run *r, const sm_object *f, const sm_object *t)
{
    strbuf old = STRBUF_INIT;
    destructive(r,
                "enum %s loses or reorders labels; rows holding a removed label fail the"
                " cast",
                t->key);
    rename_old(r, f->key, f->name, &old);
    enum_create(r, t);
    move_columns(r, f, t, &old);
    sb_free(&old);
}

static void enums(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_ENUM); i++) {
        const sm_object *t = sm_at(r->to, SM_ENUM, i), *f = twin(r->from, t);
        about(r, t);
        if (!f)
            enum_create(r, t);
        else if (r->enum_swapped[index_of(r->from, f)])
            enum_swap(r, f, t);
        else if (!attr_eq(f, t, SM_ENUM_LABELS))
            enum_add_values(r, f, t);
    }
}

static void domain_create(diff_run *r, const sm_object *t)
{
    sb_printf(r->out, "CREATE DOMAIN %s AS %s", t->key, sm_attr(t, SM_DOMAIN_BASE));
    if (sm_attr(t, SM_DOMAIN_COLLATION))
        sb_printf(r->out, " COLLATE %s", sm_attr(t, SM_DOMAIN_COLLATION));
    if (sm_attr(t, SM_DOMAIN_DEFAULT))
        sb_printf(r->out, " DEFAULT %s", sm_attr(t, SM_DOMAIN_DEFAULT));
    if (is_true(sm_attr(t, SM_DOMAIN_NOTNULL)))
        sb_puts(r->out, " NOT NULL");
    FOR_EACH_ITEM(sm_attr(t, SM_DOMAIN_CHECKS), item, len)
    sb_printf(r->out, " CONSTRAINT %.*s", (int)len, item);
    sb_puts(r->out, ";\n");
}

/* Domain checks of @a missing from @b: dropped (@drop) or added. */
static void domain_checks(diff_run *r, const sm_object *a, const sm_object *b, bool drop)
{
    FOR_EACH_ITEM(sm_attr(a, SM_DOMAIN_CHECKS), item, len)
    {
        char *whole = strndup(item, len);
        if (!whole) {
            r->out->failed = true;
            return;
        }
        if (!list_has(sm_attr(b, SM_DOMAIN_CHECKS), whole)) {
            size_t n = item_name_len(item, len);
            if (drop)
                stmt(r, "ALTER DOMAIN %s DROP CONSTRAINT %.*s", a->key, (int)n, item);
            else
                stmt(r, "ALTER DOMAIN %s ADD CONSTRAINT %s", a->key, whole);
        }
        free(whole);
    }
}

static void domains(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_DOMAIN); i++) {
        const sm_object *t = sm_at(r->to, SM_DOMAIN, i), *f = twin(r->from, t);
        about(r, t);
        if (!f || fresh(r, t)) {
            if (f) {
                destructive(r, "domain %s changes its base type or collation", t->key);
                stmt(r, "DROP DOMAIN %s", f->key);
            }
            domain_create(r, t);
            continue;
        }
        if (!attr_eq(f, t, SM_DOMAIN_DEFAULT)) {
            if (sm_attr(t, SM_DOMAIN_DEFAULT))
                stmt(r, "ALTER DOMAIN %s SET DEFAULT %s", t->key, sm_attr(t, SM_DOMAIN_DEFAULT));
            else
                stmt(r, "ALTER DOMAIN %s DROP DEFAULT", t->key);
        }
        if (!attr_eq(f, t, SM_DOMAIN_NOTNULL))
            stmt(r, "ALTER DOMAIN %s %s NOT NULL", t->key,
                 is_true(sm_attr(t, SM_DOMAIN_NOTNULL)) ? "SET" : "DROP");
        domain_checks(r, f, t, true);
        domain_checks(r, t, f, false);
    }
}

static void composite_create(diff_run *r, const sm_object *t)
{
    bool first = true;
    sb_printf(r->out, "CREATE TYPE %s AS (", t->key);
    FOR_EACH_ITEM(sm_attr(t, SM_COMPOSITE_ATTRS), item, len)
    {
        sb_printf(r->out, "%s%.*s", first ? "" : ", ", (int)len, item);
        first = false;
    }
    sb_puts(r->out, ");\n");
}

/* DROP ATTRIBUTE for those @t lacks, ALTER ATTRIBUTE for those retyped,
 * ADD ATTRIBUTE for new ones (attributes_alterable() said they come last). */
static void composite_alter(diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_COMPOSITE_ATTRS), *to = sm_attr(t, SM_COMPOSITE_ATTRS);
    size_t l = 0;
    FOR_EACH_ITEM(from, item, len)
    {
        size_t nlen = item_name_len(item, len);
        if (item_named(to, item, nlen, &l))
            continue;
        destructive(r, "drops attribute %.*s of type %s and its values", (int)nlen, item, t->key);
        stmt(r, "ALTER TYPE %s DROP ATTRIBUTE %.*s", t->key, (int)nlen, item);
    }
    FOR_EACH_ITEM(to, item, len)
    {
        size_t nlen = item_name_len(item, len);
        const char *old = item_named(from, item, nlen, &l);
        if (!old) {
            stmt(r, "ALTER TYPE %s ADD ATTRIBUTE %.*s", t->key, (int)len, item);
        } else if (l != len || strncmp(old, item, len) != 0) {
            destructive(r, "attribute %.*s of type %s changes type; values may not fit", (int)nlen,
                        item, t->key);
            stmt(r, "ALTER TYPE %s ALTER ATTRIBUTE %.*s TYPE %.*s", t->key, (int)nlen, item,
                 (int)(len - nlen - 1), item + nlen + 1);
        }
    }
}

static void composites(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_COMPOSITE); i++) {
        const sm_object *t = sm_at(r->to, SM_COMPOSITE, i), *f = twin(r->from, t);
        about(r, t);
        if (!f) {
            composite_create(r, t);
        } else if (r->composite_swapped[index_of(r->from, f)]) {
            strbuf old = STRBUF_INIT;
            destructive(r, "composite type %s is made again; values of dropped attributes are lost",
                        t->key);
            rename_old(r, f->key, f->name, &old);
            composite_create(r, t);
            move_columns(r, f, t, &old);
            sb_free(&old);
        } else if (!attr_eq(f, t, SM_COMPOSITE_ATTRS)) {
            composite_alter(r, f, t);
        }
    }
}

static void range_create(diff_run *r, const sm_object *t)
{
    static const struct {
        size_t attr;
        const char *option;
    } options[] = {
        { SM_RANGE_COLLATION, "COLLATION" },
        { SM_RANGE_OPCLASS, "SUBTYPE_OPCLASS" },
        { SM_RANGE_CANONICAL, "CANONICAL" },
        { SM_RANGE_SUBDIFF, "SUBTYPE_DIFF" },
        { SM_RANGE_MULTIRANGE, "MULTIRANGE_TYPE_NAME" },
    };
    sb_printf(r->out, "CREATE TYPE %s AS RANGE (SUBTYPE = %s", t->key,
              sm_attr(t, SM_RANGE_SUBTYPE));
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (sm_attr(t, options[i].attr))
            sb_printf(r->out, ", %s = %s", options[i].option, sm_attr(t, options[i].attr));
    sb_puts(r->out, ");\n");
}

/* The kept columns of range type @f parked as text (@to_text), or moved
 * from text to @t's type. */
static void park_range_columns(diff_run *r, const sm_object *f, const sm_object *t, bool to_text)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = twin(r->to, c);
        if (!of_type(c, f->key) || column_gone(r, c) || !of_type(tc, t->key))
            continue;
        bool array = strcmp(sm_attr(c, SM_COL_TYPE), f->key) != 0;
        const char *type = to_text ? (array ? "text[]" : "text") : sm_attr(tc, SM_COL_TYPE);
        if (to_text && sm_attr(c, SM_COL_DEFAULT))
            stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", c->table, c->name);
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", c->table, c->name, type,
             c->name, type);
        if (!to_text && sm_attr(tc, SM_COL_DEFAULT))
            stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", c->table, c->name,
                 sm_attr(tc, SM_COL_DEFAULT));
    }
}

/* A changed range type is made again, its columns parked as text
 * meanwhile: renamed, the old one's multirange and constructors would
 * keep the names the new one needs. */
static void ranges(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_RANGE); i++) {
        const sm_object *t = sm_at(r->to, SM_RANGE, i), *f = twin(r->from, t);
        about(r, t);
        if (!f) {
            range_create(r, t);
        } else if (r->range_swapped[index_of(r->from, f)]) {
            destructive(r, "range type %s is made again; values that do not fit the new one fail",
                        t->key);
            park_range_columns(r, f, t, true);
            stmt(r, "DROP TYPE %s", f->key);
            range_create(r, t);
            park_range_columns(r, f, t, false);
        }
    }
}

/* The options of a CREATE or ALTER SEQUENCE, then @tail and the end. */
static void sequence_options(diff_run *r, const sm_object *t, const char *tail)
{
    sb_printf(r->out, " AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s",
              sm_attr(t, SM_SEQ_TYPE), sm_attr(t, SM_SEQ_INCREMENT), sm_attr(t, SM_SEQ_MIN),
              sm_attr(t, SM_SEQ_MAX), sm_attr(t, SM_SEQ_START), sm_attr(t, SM_SEQ_CACHE),
              is_true(sm_attr(t, SM_SEQ_CYCLE)) ? "CYCLE" : "NO CYCLE");
    sb_printf(r->out, "%s;\n", tail);
}

static bool sequence_options_differ(const sm_object *f, const sm_object *t)
{
    for (size_t i = SM_SEQ_TYPE; i <= SM_SEQ_CYCLE; i++)
        if (!attr_eq(f, t, i))
            return true;
    return false;
}

static void sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_SEQUENCE); i++) {
        const sm_object *t = sm_at(r->to, SM_SEQUENCE, i), *f = twin(r->from, t);
        about(r, t);
        if (!f) {
            sb_printf(r->out, "CREATE SEQUENCE %s", t->key);
            sequence_options(r, t, "");
        } else if (sequence_options_differ(f, t)) {
            /* a narrower range may exclude the current value: restarted */
            bool narrower = atoll(sm_attr(t, SM_SEQ_MIN)) > atoll(sm_attr(f, SM_SEQ_MIN)) ||
                            atoll(sm_attr(t, SM_SEQ_MAX)) < atoll(sm_attr(f, SM_SEQ_MAX));
            if (narrower)
                destructive(r, "sequence %s narrows its range and restarts at %s", t->key,
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
    return strcmp(sm_attr(o, SM_FUNC_KIND), "p") == 0 ? "PROCEDURE" : "FUNCTION";
}

/* New and changed functions: CREATE OR REPLACE, or dropped first when the
 * result type or kind changes (REPLACE cannot). */
static void functions(diff_run *r)
{
    bool unchecked = false;
    for (size_t i = 0; i < sm_count(r->to, SM_FUNCTION); i++) {
        const sm_object *t = sm_at(r->to, SM_FUNCTION, i), *f = twin(r->from, t);
        if (f && same_definition(f, t))
            continue;
        /* a SQL function's body may read tables this revision creates later */
        if (sql_function(t) && !unchecked) {
            about(r, NULL);
            stmt(r, "SET LOCAL check_function_bodies = off");
            unchecked = true;
        }
        about(r, t);
        if (f && fresh(r, t))
            stmt(r, "DROP %s %s", routine_word(f), f->key);
        sb_puts(r->out, sm_attr(t, SM_FUNC_DEF));
        sb_puts(r->out, ";\n");
    }
}

/* ---- phase: tables and columns ------------------------------------------ */

static void column_def(strbuf *sb, const sm_object *c)
{
    sb_printf(sb, "%s %s", c->name, sm_attr(c, SM_COL_TYPE));
    if (sm_attr(c, SM_COL_COLLATION))
        sb_printf(sb, " COLLATE %s", sm_attr(c, SM_COL_COLLATION));
    if (sm_attr(c, SM_COL_GENERATED))
        sb_printf(sb, " GENERATED ALWAYS AS (%s) STORED", sm_attr(c, SM_COL_GENERATED));
    if (sm_attr(c, SM_COL_DEFAULT))
        sb_printf(sb, " DEFAULT %s", sm_attr(c, SM_COL_DEFAULT));
    const char *identity = sm_attr(c, SM_COL_IDENTITY);
    if (identity && *identity)
        sb_printf(sb, " GENERATED %s AS IDENTITY", *identity == 'a' ? "ALWAYS" : "BY DEFAULT");
    if (is_true(sm_attr(c, SM_COL_NOTNULL)))
        sb_puts(sb, " NOT NULL");
}

static int cmp_attnum(const void *a, const void *b)
{
    const sm_object *x = *(const sm_object *const *)a, *y = *(const sm_object *const *)b;
    long p = atol(sm_attr(x, SM_COL_ATTNUM)), q = atol(sm_attr(y, SM_COL_ATTNUM));
    return p < q ? -1 : p > q;
}

/* The columns of @table in @m, by position; *n of them (NULL: no memory). */
static const sm_object **table_columns(const sm_model *m, const char *table, size_t *n)
{
    size_t count = sm_count(m, SM_COLUMN);
    const sm_object **cols = util_calloc(count, sizeof(*cols));
    *n = 0;
    for (size_t i = 0; cols && i < count; i++)
        if (strcmp(sm_at(m, SM_COLUMN, i)->table, table) == 0)
            cols[(*n)++] = sm_at(m, SM_COLUMN, i);
    if (cols)
        qsort(cols, *n, sizeof(*cols), cmp_attnum);
    return cols;
}

static void table_create(diff_run *r, const sm_object *t)
{
    bool unlogged = strcmp(sm_attr(t, SM_TABLE_PERSISTENCE), "u") == 0;
    about(r, t);
    sb_printf(r->out, "CREATE %sTABLE %s", unlogged ? "UNLOGGED " : "", t->key);
    if (sm_attr(t, SM_TABLE_PARTOF)) {
        /* beside a default partition the server scans it and fails when
         * it holds rows of the new bound: those rows must be moved out
         * first, which no schema comparison can know */
        sb_printf(r->out, " PARTITION OF %s %s", sm_attr(t, SM_TABLE_PARTOF),
                  sm_attr(t, SM_TABLE_BOUND));
    } else {
        size_t n = 0;
        const sm_object **cols = table_columns(r->to, t->key, &n);
        if (!cols)
            r->out->failed = true;
        sb_puts(r->out, " (");
        for (size_t i = 0; cols && i < n; i++) {
            sb_puts(r->out, i ? ",\n    " : "\n    ");
            column_def(r->out, cols[i]);
        }
        sb_puts(r->out, n ? "\n)" : ")");
        free(cols);
        if (sm_attr(t, SM_TABLE_INHERITS)) {
            sb_puts(r->out, " INHERITS (");
            bool first = true;
            FOR_EACH_ITEM(sm_attr(t, SM_TABLE_INHERITS), item, len)
            {
                sb_printf(r->out, "%s%.*s", first ? "" : ", ", (int)len, item);
                first = false;
            }
            sb_putc(r->out, ')');
        }
    }
    if (sm_attr(t, SM_TABLE_PARTKEY))
        sb_printf(r->out, " PARTITION BY %s", sm_attr(t, SM_TABLE_PARTKEY));
    sb_puts(r->out, ";\n");
}

static void table_order_visit(diff_run *r, size_t i, bool *seen)
{
    if (seen[i])
        return;
    seen[i] = true;
    const sm_object *t = sm_at(r->to, SM_TABLE, i);
    const sm_object *p = sm_find(r->to, SM_TABLE, sm_attr(t, SM_TABLE_PARTOF));
    if (p)
        table_order_visit(r, index_of(r->to, p), seen);
    FOR_EACH_ITEM(sm_attr(t, SM_TABLE_INHERITS), item, len)
    {
        char *key = strndup(item, len);
        const sm_object *parent = key ? sm_find(r->to, SM_TABLE, key) : NULL;
        if (parent)
            table_order_visit(r, index_of(r->to, parent), seen);
        free(key);
    }
    if (fresh(r, t))
        table_create(r, t);
}

/* New and rebuilt tables, each after its parents. */
static void create_tables(diff_run *r)
{
    size_t n = sm_count(r->to, SM_TABLE);
    bool *seen = util_calloc(n, sizeof(*seen));
    if (!seen) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        table_order_visit(r, i, seen);
    free(seen);
}

/* int2 < int4 < int8, varchar(n) < varchar(m >= n) < text: no row can
 * fail or lose anything. */
static bool widening(const char *from, const char *to)
{
    static const char *const ints[] = { "smallint", "integer", "bigint" };
    int a = -1, b = -1;
    for (int i = 0; i < 3; i++) {
        a = strcmp(from, ints[i]) == 0 ? i : a;
        b = strcmp(to, ints[i]) == 0 ? i : b;
    }
    if (a >= 0 && b >= 0)
        return b >= a;
    const char *vc = "character varying";
    size_t vl = strlen(vc);
    if (strncmp(from, vc, vl) != 0)
        return false;
    if (strcmp(to, "text") == 0 || strcmp(to, vc) == 0)
        return true;
    return strncmp(to, vc, vl) == 0 && from[vl] == '(' && to[vl] == '(' &&
           atol(to + vl + 1) >= atol(from + vl + 1);
}

/* @table: where the column is altered (a partition's columns are read
 * from its root's). */
static void column_retype(diff_run *r, const char *table, const sm_object *f, const sm_object *t)
{
    const char *type = sm_attr(t, SM_COL_TYPE);
    if (!widening(sm_attr(f, SM_COL_TYPE), type))
        destructive(r, "%s.%s changes type from %s to %s; values may not fit", table, t->name,
                    sm_attr(f, SM_COL_TYPE), type);
    sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s TYPE %s", table, t->name, type);
    if (sm_attr(t, SM_COL_COLLATION))
        sb_printf(r->out, " COLLATE %s", sm_attr(t, SM_COL_COLLATION));
    stmt(r, " USING %s::%s", t->name, type);
}

static void column_alter(diff_run *r, const char *table, const sm_object *f, const sm_object *t)
{
    const char *fi = sm_attr(f, SM_COL_IDENTITY), *ti = sm_attr(t, SM_COL_IDENTITY);
    bool had_identity = fi && *fi, has_identity = ti && *ti;
    bool retype = column_retyped(r, f, t);
    bool redefault = attr_differs(r, f, t, SM_COL_DEFAULT);
    if (had_identity && !has_identity)
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY", table, t->name);
    /* the old default may not cast to the new type */
    if (sm_attr(f, SM_COL_DEFAULT) && (redefault || retype))
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, t->name);
    if (retype)
        column_retype(r, table, f, t);
    if (sm_attr(t, SM_COL_DEFAULT) && (redefault || (retype && sm_attr(f, SM_COL_DEFAULT))))
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table, t->name,
             sm_attr(t, SM_COL_DEFAULT));
    if (!attr_eq(f, t, SM_COL_NOTNULL))
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL", table, t->name,
             is_true(sm_attr(t, SM_COL_NOTNULL)) ? "SET" : "DROP");
    if (has_identity && !had_identity)
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY", table, t->name,
             *ti == 'a' ? "ALWAYS" : "BY DEFAULT");
    else if (has_identity && had_identity && *fi != *ti)
        stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s", table, t->name,
             *ti == 'a' ? "ALWAYS" : "BY DEFAULT");
}

static void alter_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = twin(r->from, t);
        if (f && table_kept(r, t->key) && !attr_eq(f, t, SM_TABLE_PERSISTENCE)) {
            about(r, t);
            stmt(r, "ALTER TABLE %s SET %s", t->key,
                 strcmp(sm_attr(t, SM_TABLE_PERSISTENCE), "u") == 0 ? "UNLOGGED" : "LOGGED");
        }
    }
    /* columns dropped first: a regenerated column is added back below */
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *f = sm_at(r->from, SM_COLUMN, i);
        if (table_kept(r, f->table) && !table_moved(r, f->table) && column_gone(r, f)) {
            about(r, f);
            destructive(r, "drops column %s and its data", f->key);
            stmt(r, "ALTER TABLE %s DROP COLUMN %s", f->table, f->name);
        }
    }
    size_t n = sm_count(r->to, SM_COLUMN);
    const sm_object **added = util_calloc(n, sizeof(*added));
    size_t n_added = 0;
    if (!added) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const sm_object *t = sm_at(r->to, SM_COLUMN, i), *f = twin(r->from, t);
        if (!table_kept(r, t->table) || table_moved(r, t->table))
            continue;
        about(r, t);
        if (fresh(r, t))
            added[n_added++] = t;
        else
            column_alter(r, t->table, f, t);
    }
    /* added in their table's order, tables by key */
    for (size_t i = 0; i < n_added; i++) {
        about(r, added[i]);
        sb_printf(r->out, "ALTER TABLE %s ADD COLUMN ", added[i]->table);
        column_def(r->out, added[i]);
        sb_puts(r->out, ";\n");
    }
    free(added);
}

/* The column of @cols (@n of them) named @name, or NULL. */
static const sm_object *column_named(const sm_object **cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i]->name, name) == 0)
            return cols[i];
    return NULL;
}

/*
 * The columns of the moved table @key (about which the statements are),
 * from those it has (its own, or once detached its old root's) to those
 * it needs (its own, or its new root's: ATTACH wants the same names,
 * types and NOT NULL, and a partition made with PARTITION OF has the
 * root's defaults).  Writes the statements when @write; whether a column
 * is dropped or changes type.
 */
static bool rehome_columns(diff_run *r, const char *key, bool write)
{
    size_t nf = 0, nt = 0;
    const sm_object **from = table_columns(r->from, column_owner(r->from, key), &nf);
    const sm_object **to = table_columns(r->to, column_owner(r->to, key), &nt);
    bool reshaped = false;
    if (!from || !to) {
        r->out->failed = true;
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        const sm_object *t = column_named(to, nt, from[i]->name);
        bool gone = !t || column_regenerated(from[i], t);
        reshaped = reshaped || gone || column_retyped(r, from[i], t);
        if (write && gone) {
            destructive(r, "drops column %s.%s and its data", key, from[i]->name);
            stmt(r, "ALTER TABLE %s DROP COLUMN %s", key, from[i]->name);
        }
    }
    for (size_t i = 0; write && i < nt; i++) {
        const sm_object *f = column_named(from, nf, to[i]->name);
        if (f && !column_regenerated(f, to[i])) {
            column_alter(r, key, f, to[i]);
            continue;
        }
        sb_printf(r->out, "ALTER TABLE %s ADD COLUMN ", key);
        column_def(r->out, to[i]);
        sb_puts(r->out, ";\n");
    }
done:
    free(from);
    free(to);
    return reshaped;
}

/* The columns of the tables detached or attached, tables by key. */
static void rehome_moved_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i);
        if (!table_moved(r, t->key))
            continue;
        about(r, t);
        rehome_columns(r, t->key, true);
    }
}

static void own_sequences(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_SEQUENCE); i++) {
        const sm_object *t = sm_at(r->to, SM_SEQUENCE, i), *f = twin(r->from, t);
        const char *owner = sm_attr(t, SM_SEQ_OWNED_BY);
        if (owner && (!f || owner_released(r, f) || !sm_attr(f, SM_SEQ_OWNED_BY))) {
            about(r, t);
            stmt(r, "ALTER SEQUENCE %s OWNED BY %s", t->key, owner);
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
        if (!table_kept(r, f->key))
            r->opts->span_cb(f, start, r->out->len, r->opts->span_payload);
    }
}

static void drop_tables(diff_run *r)
{
    strbuf list = STRBUF_INIT;
    about(r, NULL);
    size_t start = r->out->len;
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i);
        if (table_kept(r, f->key))
            continue;
        destructive(r, "drops table %s and its data%s", f->key,
                    sm_find(r->to, SM_TABLE, f->key) ? " (it is created again)" : "");
        sb_printf(&list, "%s%s", list.len ? ", " : "", f->key);
    }
    /* one statement: the server orders partitions, children and foreign
     * keys among the tables itself */
    if (list.len)
        stmt(r, "DROP TABLE %s", sb_str(&list) ? sb_str(&list) : "");
    if (sb_failed(&list))
        r->out->failed = true;
    sb_free(&list);
    drop_tables_spans(r, start);
    r->mark = r->out->len;
}

static void drop_removed(diff_run *r, sm_kind kind)
{
    for (size_t i = 0; i < sm_count(r->from, kind); i++) {
        const sm_object *f = sm_at(r->from, kind, i);
        if (twin(r->to, f))
            continue;
        about(r, f);
        switch (kind) {
        case SM_SEQUENCE:
            destructive(r, "drops sequence %s", f->key);
            stmt(r, "DROP SEQUENCE %s", f->key);
            break;
        case SM_FUNCTION:
            stmt(r, "DROP %s %s", routine_word(f), f->key);
            break;
        case SM_DOMAIN:
            stmt(r, "DROP DOMAIN %s", f->key);
            break;
        case SM_COMPOSITE:
        case SM_RANGE:
            destructive(r, "drops type %s", f->key);
            stmt(r, "DROP TYPE %s", f->key);
            break;
        case SM_ENUM:
            stmt(r, "DROP TYPE %s", f->key);
            break;
        case SM_EXTENSION:
            stmt(r, "DROP EXTENSION %s", f->key);
            break;
        case SM_SCHEMA:
            destructive(r, "drops schema %s", f->key);
            stmt(r, "DROP SCHEMA %s", f->key);
            break;
        default:
            break;
        }
    }
}

/* ---- phase: constraints, indexes, views, triggers, policies ------------- */

/* CREATE INDEX from @def (@len long).  An index on a partitioned table is
 * read back "ON ONLY": made that way it would not reach the partitions. */
static void index_create(diff_run *r, const char *def, size_t len)
{
    const char *only = strstr(def, " ON ONLY ");
    if (only && only < def + len)
        stmt(r, "%.*s ON %.*s", (int)(only - def), def, (int)(def + len - only - 9), only + 9);
    else
        stmt(r, "%.*s", (int)len, def);
}

/* ---- phase: partitions attached (and what detach leaves) ---------------- */

/* The qualified name of the index @it of @table. */
static void item_index_key(diff_run *r, const sm_object *table, const part_item *it)
{
    schema_of(r->out, table->key, table->name);
    sb_printf(r->out, ".%.*s", (int)it->name_len, it->name);
}

static void item_drop(diff_run *r, const sm_object *table, const part_item *it)
{
    if (it->letter == 'i') {
        sb_puts(r->out, "DROP INDEX ");
        item_index_key(r, table, it);
        stmt(r, "%s", "");
    } else {
        stmt(r, "ALTER TABLE %s DROP CONSTRAINT %.*s", table->key, (int)it->name_len, it->name);
    }
}

/* @it of @table renamed as @want is named (the server chose the names of
 * what a partition gets from its parent; the model's are what the
 * database is to have). */
static void item_rename(diff_run *r, const sm_object *table, const part_item *it,
                        const part_item *want)
{
    if (it->name_len == want->name_len && strncmp(it->name, want->name, it->name_len) == 0)
        return;
    if (it->letter == 'i') {
        sb_puts(r->out, "ALTER INDEX ");
        item_index_key(r, table, it);
        stmt(r, " RENAME TO %.*s", (int)want->name_len, want->name);
    } else {
        stmt(r, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table->key, (int)it->name_len,
             it->name, (int)want->name_len, want->name);
    }
}

static void item_create(diff_run *r, const sm_object *table, const part_item *it)
{
    if (it->letter == 'i')
        index_create(r, it->def, it->def_len);
    else
        stmt(r, "ALTER TABLE %s ADD CONSTRAINT %.*s %.*s", table->key, (int)it->name_len, it->name,
             (int)it->def_len, it->def);
}

/*
 * Before ATTACH the table has what it is to have from its parent, under
 * the names it is to have them: its own matching ones (the server attaches
 * them instead of making new ones) renamed, those its detach left already
 * renamed, the others made.  The server requires the checks; for the
 * indexes and keys it would make its own, under names of its choosing.
 */
static void attach_prepare(diff_run *r, const sm_object *t)
{
    const sm_object *f = twin(r->from, t);
    bool was_partition = r->table_detached[index_of(r->from, f)];
    FOR_EACH_ITEM(sm_attr(t, SM_TABLE_FROM_PARENT), item, len)
    {
        part_item want, have;
        if (!item_parse(item, len, &want))
            continue;
        const sm_object *own = lone_child_match(r->from, r->to, t->key, &want);
        if (own) {
            have = child_item(own);
            item_rename(r, t, &have, &want);
        } else if (!was_partition || !list_match(sm_attr(f, SM_TABLE_FROM_PARENT), &want, &have)) {
            item_create(r, t, &want);
        }
    }
}

/* Attaches the tables that become partitions, each after its parent. */
static void attach_visit(diff_run *r, size_t i, bool *seen)
{
    if (seen[i])
        return;
    seen[i] = true;
    const sm_object *t = sm_at(r->to, SM_TABLE, i);
    const sm_object *p = sm_find(r->to, SM_TABLE, sm_attr(t, SM_TABLE_PARTOF));
    if (p)
        attach_visit(r, index_of(r->to, p), seen);
    if (!r->table_attached[i])
        return;
    about(r, t);
    attach_prepare(r, t);
    /* the server scans the table to check every row fits the bound,
     * unless a CHECK constraint already implies it; beside a default
     * partition it scans that one too, and fails on its rows of the bound */
    stmt(r, "ALTER TABLE %s ATTACH PARTITION %s %s", sm_attr(t, SM_TABLE_PARTOF), t->key,
         sm_attr(t, SM_TABLE_BOUND));
}

static void attach_partitions(diff_run *r)
{
    size_t n = sm_count(r->to, SM_TABLE);
    bool *seen = util_calloc(n, sizeof(*seen));
    if (!seen) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        attach_visit(r, i, seen);
    free(seen);
}

/* ---- phase: partitions detached ----------------------------------------- */

/* What the detached @f had from its parent that the table @t is to have:
 * the one it is to be (named as in *@want). */
static bool leftover_wanted(const diff_run *r, const sm_object *t, const part_item *it,
                            part_item *want)
{
    if (r->table_attached[index_of(r->to, t)])
        return list_match(sm_attr(t, SM_TABLE_FROM_PARENT), it, want);
    const sm_object *c = lone_child_match(r->to, r->from, t->key, it);
    if (c)
        *want = child_item(c);
    return c != NULL;
}

/*
 * DETACH PARTITION keeps the rows.  What the partition had from its
 * parent (indexes, keys, foreign keys, checks) becomes its own: each is
 * renamed to what the table is to have, or dropped.  Before the parent's
 * indexes and keys go (they would take the partition's along) and before
 * the parent goes (it would take the partition along).
 */
static void detach_partitions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = twin(r->to, f);
        if (!r->table_detached[i])
            continue;
        about(r, f);
        stmt(r, "ALTER TABLE %s DETACH PARTITION %s", sm_attr(f, SM_TABLE_PARTOF), f->key);
        FOR_EACH_ITEM(sm_attr(f, SM_TABLE_FROM_PARENT), item, len)
        {
            part_item it, want;
            if (!item_parse(item, len, &it))
                continue;
            if (leftover_wanted(r, t, &it, &want))
                item_rename(r, f, &it, &want);
            else
                item_drop(r, f, &it);
        }
    }
}

/* ---- phase: constraints, indexes, views, triggers, policies (cont.) ----- */

static void create_child(diff_run *r, const sm_object *t)
{
    switch (t->kind) {
    case SM_CONSTRAINT:
        stmt(r, "ALTER TABLE %s ADD CONSTRAINT %s %s", t->table, t->name, sm_attr(t, SM_CON_DEF));
        break;
    case SM_INDEX:
        index_create(r, sm_attr(t, SM_INDEX_DEF), strlen(sm_attr(t, SM_INDEX_DEF)));
        break;
    case SM_POLICY:
        stmt(r, "%s", sm_attr(t, SM_POLICY_DEF));
        break;
    case SM_TRIGGER: {
        const char *enabled = sm_attr(t, SM_TRIGGER_ENABLED);
        stmt(r, "%s", sm_attr(t, SM_TRIGGER_DEF));
        if (enabled && *enabled != 'O')
            stmt(r, "ALTER TABLE %s %s TRIGGER %s", t->table,
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
        if (fresh(r, t)) {
            about(r, t);
            create_child(r, t);
        }
    }
}

static void create_views(diff_run *r)
{
    size_t count = sm_count(r->to, SM_VIEW), n = 0;
    bool *take = util_calloc(count, sizeof(*take));
    for (size_t i = 0; take && i < count; i++)
        take[i] = fresh(r, sm_at(r->to, SM_VIEW, i));
    size_t *order = take ? view_order(r->to, take, &n) : NULL;
    if (!order)
        r->out->failed = true;
    for (size_t i = 0; order && i < n; i++) {
        const sm_object *v = sm_at(r->to, SM_VIEW, order[i]);
        const char *options = sm_attr(v, SM_VIEW_OPTIONS);
        about(r, v);
        const char *def = sm_attr(v, SM_VIEW_DEF);
        size_t len = strlen(def);
        while (len > 0 && (def[len - 1] == ';' || def[len - 1] == '\n' || def[len - 1] == ' '))
            len--;
        sb_printf(r->out, "CREATE %s %s", matview(v) ? "MATERIALIZED VIEW" : "VIEW", v->key);
        if (options && *options)
            sb_printf(r->out, " WITH (%s)", options);
        sb_printf(r->out, " AS\n%.*s;\n", (int)len, def);
    }
    free(order);
    free(take);
}

static void row_security(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = twin(r->from, t);
        bool was = f && !fresh(r, t);
        about(r, t);
        if (was ? !attr_eq(f, t, SM_TABLE_RLS) : is_true(sm_attr(t, SM_TABLE_RLS)))
            stmt(r, "ALTER TABLE %s %s ROW LEVEL SECURITY", t->key,
                 is_true(sm_attr(t, SM_TABLE_RLS)) ? "ENABLE" : "DISABLE");
        if (was ? !attr_eq(f, t, SM_TABLE_FORCE_RLS) : is_true(sm_attr(t, SM_TABLE_FORCE_RLS)))
            stmt(r, "ALTER TABLE %s %s ROW LEVEL SECURITY", t->key,
                 is_true(sm_attr(t, SM_TABLE_FORCE_RLS)) ? "FORCE" : "NO FORCE");
    }
}

/* ---- phase: privileges -------------------------------------------------- */

/* What a grantee holds: nothing, the privilege, or it with grant option. */
typedef enum { HELD_NONE, HELD_PLAIN, HELD_GRANTABLE } held;

/* What @g says is held; @g NULL: the default, which @dflt says holds it
 * (never with grant option). */
static held held_by(const sm_object *g, bool dflt)
{
    const char *state = sm_attr(g, SM_GRANT_STATE);
    if (!g)
        return dflt ? HELD_PLAIN : HELD_NONE;
    return strcmp(state, "grantable") == 0 ? HELD_GRANTABLE
           : strcmp(state, "granted") == 0 ? HELD_PLAIN
                                           : HELD_NONE;
}

/* The object a grant @g is on, in @m (NULL: not there). */
static const sm_object *grant_target(const sm_model *m, const sm_object *g)
{
    static const sm_kind types[] = { SM_ENUM, SM_DOMAIN, SM_COMPOSITE, SM_RANGE };
    const char *on = sm_attr(g, SM_GRANT_ON), *key = sm_attr(g, SM_GRANT_OBJECT);
    const sm_object *o = NULL;
    if (strcmp(on, "table") == 0) {
        o = sm_find(m, SM_TABLE, key);
        return o ? o : sm_find(m, SM_VIEW, key);
    }
    if (strcmp(on, "column") == 0) {
        for (size_t i = 0; !o && i < sm_count(m, SM_COLUMN); i++) {
            const sm_object *c = sm_at(m, SM_COLUMN, i);
            if (strcmp(c->table, key) == 0 && strcmp(c->name, sm_attr(g, SM_GRANT_COLUMN)) == 0)
                o = c;
        }
        return o;
    }
    if (strcmp(on, "sequence") == 0)
        return sm_find(m, SM_SEQUENCE, key);
    if (strcmp(on, "schema") == 0)
        return sm_find(m, SM_SCHEMA, key);
    if (strcmp(on, "function") == 0)
        return sm_find(m, SM_FUNCTION, key);
    for (size_t i = 0; !o && i < 4; i++)
        o = sm_find(m, types[i], key);
    return o;
}

/* "SELECT (col) ON TABLE t", "EXECUTE ON ROUTINE f(int)", ... */
static void grant_clause(diff_run *r, const sm_object *g)
{
    const char *on = sm_attr(g, SM_GRANT_ON);
    sb_puts(r->out, sm_attr(g, SM_GRANT_PRIVILEGE));
    if (strcmp(on, "column") == 0)
        sb_printf(r->out, " (%s)", sm_attr(g, SM_GRANT_COLUMN));
    sb_printf(r->out, " ON %s %s",
              strcmp(on, "column") == 0     ? "TABLE"
              : strcmp(on, "function") == 0 ? "ROUTINE"
              : strcmp(on, "table") == 0    ? "TABLE"
              : strcmp(on, "sequence") == 0 ? "SEQUENCE"
              : strcmp(on, "schema") == 0   ? "SCHEMA"
                                            : "TYPE",
              sm_attr(g, SM_GRANT_OBJECT));
}

/* The statement that takes the grantee of @g from @was to @want. */
static void grant_change(diff_run *r, const sm_object *g, held was, held want)
{
    if (was == want)
        return;
    about(r, g);
    if (want == HELD_NONE || (want == HELD_PLAIN && was == HELD_GRANTABLE)) {
        sb_puts(r->out, want == HELD_NONE ? "REVOKE " : "REVOKE GRANT OPTION FOR ");
        grant_clause(r, g);
        stmt(r, " FROM %s", sm_attr(g, SM_GRANT_GRANTEE));
    } else {
        sb_puts(r->out, "GRANT ");
        grant_clause(r, g);
        stmt(r, " TO %s%s", sm_attr(g, SM_GRANT_GRANTEE),
             want == HELD_GRANTABLE ? " WITH GRANT OPTION" : "");
    }
}

/* Privileges that differ from what the object has: an object this run
 * makes starts from its default ones; one it drops needs no REVOKE. */
static void privileges(diff_run *r)
{
    if (!r->opts->compare_privileges)
        return;
    for (size_t i = 0; i < sm_count(r->from, SM_GRANT); i++) {
        const sm_object *f = sm_at(r->from, SM_GRANT, i), *target = grant_target(r->to, f);
        if (twin(r->to, f) || !target || fresh(r, target))
            continue;
        grant_change(r, f, held_by(f, false), held_by(NULL, is_true(sm_attr(f, SM_GRANT_DEFAULT))));
    }
    for (size_t i = 0; i < sm_count(r->to, SM_GRANT); i++) {
        const sm_object *t = sm_at(r->to, SM_GRANT, i), *target = grant_target(r->to, t);
        bool dflt = is_true(sm_attr(t, SM_GRANT_DEFAULT));
        if (!target)
            continue;
        grant_change(r, t, fresh(r, target) ? held_by(NULL, dflt) : held_by(twin(r->from, t), dflt),
                     held_by(t, dflt));
    }
}

/* ---- phase: comments ---------------------------------------------------- */

static void comment_target(diff_run *r, const sm_object *t)
{
    switch (t->kind) {
    case SM_SCHEMA:
        sb_printf(r->out, "SCHEMA %s", t->key);
        break;
    case SM_EXTENSION:
        sb_printf(r->out, "EXTENSION %s", t->key);
        break;
    case SM_ENUM:
    case SM_COMPOSITE:
    case SM_RANGE:
        sb_printf(r->out, "TYPE %s", t->key);
        break;
    case SM_DOMAIN:
        sb_printf(r->out, "DOMAIN %s", t->key);
        break;
    case SM_SEQUENCE:
        sb_printf(r->out, "SEQUENCE %s", t->key);
        break;
    case SM_TABLE:
        sb_printf(r->out, "TABLE %s", t->key);
        break;
    case SM_COLUMN:
        sb_printf(r->out, "COLUMN %s", t->key);
        break;
    case SM_INDEX:
        sb_printf(r->out, "INDEX %s", t->key);
        break;
    case SM_VIEW:
        sb_printf(r->out, "%s %s", matview(t) ? "MATERIALIZED VIEW" : "VIEW", t->key);
        break;
    case SM_FUNCTION:
        sb_printf(r->out, "%s %s", routine_word(t), t->key);
        break;
    case SM_CONSTRAINT:
    case SM_TRIGGER:
    case SM_POLICY:
        sb_printf(r->out, "%s %s ON %s",
                  t->kind == SM_CONSTRAINT ? "CONSTRAINT"
                  : t->kind == SM_TRIGGER  ? "TRIGGER"
                                           : "POLICY",
                  t->name, t->table);
        break;
    default:
        break;
    }
}

static void comments(diff_run *r)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++)
        for (size_t i = 0; kind != SM_GRANT && i < sm_count(r->to, (sm_kind)kind); i++) {
            const sm_object *t = sm_at(r->to, (sm_kind)kind, i), *f = twin(r->from, t);
            const char *want = sm_attr(t, comment_attr[kind]);
            bool made = !f || fresh(r, t);
            if (made ? !want : str_eq(want, sm_attr(f, comment_attr[kind])))
                continue;
            about(r, t);
            sb_puts(r->out, "COMMENT ON ");
            comment_target(r, t);
            stmt(r, " IS %s", want ? want : "NULL");
        }
}

/* ---- the run ------------------------------------------------------------ */

static void write_phases(diff_run *r)
{
    drop_children(r, SM_TRIGGER, -1);
    drop_children(r, SM_POLICY, -1);
    drop_views(r);
    /* before its parent's indexes and keys go, which would take the
     * partition's with them */
    detach_partitions(r);
    drop_children(r, SM_CONSTRAINT, 1);
    drop_children(r, SM_CONSTRAINT, 0);
    drop_children(r, SM_INDEX, -1);
    release_sequences(r);
    /* before any table is made: a rebuilt table is made again below */
    drop_tables(r);
    create_simple(r, SM_SCHEMA);
    create_simple(r, SM_EXTENSION);
    alter_extensions(r);
    enums(r);
    domains(r);
    ranges(r);
    composites(r);
    sequences(r);
    functions(r);
    create_tables(r);
    alter_tables(r);
    rehome_moved_tables(r);
    own_sequences(r);
    drop_removed(r, SM_SEQUENCE);
    drop_removed(r, SM_FUNCTION);
    drop_removed(r, SM_COMPOSITE);
    drop_removed(r, SM_RANGE);
    drop_removed(r, SM_DOMAIN);
    drop_removed(r, SM_ENUM);
    drop_removed(r, SM_EXTENSION);
    drop_removed(r, SM_SCHEMA);
    create_children(r, SM_CONSTRAINT, 0, false);
    create_children(r, SM_INDEX, -1, false);
    create_children(r, SM_CONSTRAINT, 1, false);
    attach_partitions(r);
    create_views(r);
    create_children(r, SM_INDEX, -1, true);
    row_security(r);
    create_children(r, SM_TRIGGER, -1, false);
    create_children(r, SM_TRIGGER, -1, true);
    create_children(r, SM_POLICY, -1, false);
    privileges(r);
    comments(r);
    about(r, NULL);
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
    if (r.table_rebuilt && r.table_altered && r.key_changed && r.table_detached &&
        r.table_attached && r.view_dropped && r.enum_swapped && r.composite_swapped &&
        r.range_swapped) {
        decide_rebuilt_tables(&r);
        decide_moved_tables(&r);
        decide_enums(&r);
        decide_types(&r);
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
        own += attr_compared(opts, f->kind, i) && !attr_derived(f->kind, i) && !attr_eq(f, t, i);
    for (size_t i = 0; i < f->n_attrs; i++)
        if (attr_compared(opts, f->kind, i) && (!own || !attr_derived(f->kind, i)) &&
            !attr_eq(f, t, i))
            cb(AUTOGEN_CHANGED, f, t, i, payload);
}

void autogen_diff_changes(const sm_model *from, const sm_model *to,
                          const autogen_diff_options *opts, autogen_change_cb cb, void *payload)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++) {
        if (kind == SM_GRANT && !opts->compare_privileges)
            continue;
        for (size_t i = 0; i < sm_count(from, (sm_kind)kind); i++) {
            const sm_object *f = sm_at(from, (sm_kind)kind, i), *t = twin(to, f);
            if (t)
                report_changed(f, t, opts, cb, payload);
            else if (!owner_missing(to, f))
                cb(AUTOGEN_REMOVED, f, NULL, 0, payload);
        }
        for (size_t i = 0; i < sm_count(to, (sm_kind)kind); i++) {
            const sm_object *t = sm_at(to, (sm_kind)kind, i);
            if (!twin(from, t) && !owner_missing(from, t))
                cb(AUTOGEN_ADDED, NULL, t, 0, payload);
        }
    }
}
