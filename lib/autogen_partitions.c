/*
 * autogen_partitions.c - partitions detached and attached instead of
 * dropped and created: which tables move, what each has from its parent
 * (indexes, keys, checks, matched with its own the way ATTACH matches
 * them), and the statements that make a table ready to attach or leave it
 * whole after a detach.
 *
 * Apart from the run because matching inherited items is a parser and a
 * matcher of its own, which the other phases only ask two questions of
 * (diff_attaches_to_parent, diff_left_by_detach).
 */
#include <stdlib.h>
#include <string.h>

#include "autogen_diff_internal.h"
#include "util.h"

/* ---- decisions: which tables move --------------------------------------- */

/* A kept partition whose parent or bound changes, or whose parent goes or
 * is rebuilt, is detached (its rows stay); a kept table that becomes a
 * partition, or is detached, is attached to its new parent. */
void diff_decide_moved_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = diff_twin(r->to, f);
        const char *parent = sm_attr(f, SM_TABLE_PARTOF);
        r->table_detached[i] = parent && diff_table_kept(r, f->key) &&
                               (!diff_attr_eq(f, t, SM_TABLE_PARTOF) ||
                                !diff_attr_eq(f, t, SM_TABLE_BOUND) || !diff_table_kept(r, parent));
    }
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = diff_twin(r->from, t);
        r->table_attached[i] =
            f && sm_attr(t, SM_TABLE_PARTOF) && diff_table_kept(r, t->key) &&
            (!sm_attr(f, SM_TABLE_PARTOF) || r->table_detached[diff_index_of(r->from, f)]);
    }
}

bool diff_table_detached(const diff_run *r, const char *key)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, key);
    return f && r->table_detached[diff_index_of(r->from, f)];
}

bool diff_table_attached(const diff_run *r, const char *key)
{
    const sm_object *t = sm_find(r->to, SM_TABLE, key);
    return t && r->table_attached[diff_index_of(r->to, t)];
}

/* Its columns go from its parent's to its own, or from its own to its new
 * parent's (attach_partitions, rehome_columns). */
bool diff_table_moved(const diff_run *r, const char *key)
{
    return diff_table_detached(r, key) || diff_table_attached(r, key);
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
const sm_object *diff_column_of(const sm_model *m, const char *table, const char *name)
{
    strbuf key = STRBUF_INIT;
    sb_printf(&key, "%s.%s", column_owner(m, table), name);
    const sm_object *c = sm_find(m, SM_COLUMN, sb_str(&key));
    sb_free(&key);
    return c;
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
    out->name_len = diff_item_name_len(out->name, len - 2);
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
            if (strcmp(o->table, table) != 0 || diff_twin(other, o))
                continue;
            it = child_item(o);
            if (items_match(&it, want))
                return o;
        }
    return NULL;
}

/* A from-index or constraint that the server attaches to its parent's
 * when its table is attached: kept (it leaves the model then). */
bool diff_attaches_to_parent(const diff_run *r, const sm_object *f)
{
    const sm_object *t = sm_find(r->to, SM_TABLE, f->table);
    part_item have, want;
    if (!t || !r->table_attached[diff_index_of(r->to, t)] ||
        (f->kind != SM_INDEX && f->kind != SM_CONSTRAINT))
        return false;
    have = child_item(f);
    return list_match(sm_attr(t, SM_TABLE_FROM_PARENT), &have, &want);
}

/* A to-index or constraint that a partition detached (and not attached
 * again) already has, as its own now: not made. */
bool diff_left_by_detach(const diff_run *r, const sm_object *t)
{
    const sm_object *f = sm_find(r->from, SM_TABLE, t->table ? t->table : "");
    part_item want, have;
    if (!f || !r->table_detached[diff_index_of(r->from, f)] || diff_table_attached(r, t->table) ||
        (t->kind != SM_INDEX && t->kind != SM_CONSTRAINT))
        return false;
    want = child_item(t);
    return list_match(sm_attr(f, SM_TABLE_FROM_PARENT), &want, &have);
}

/* ---- phase: the columns of moved tables --------------------------------- */

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
bool diff_rehome_columns(diff_run *r, const char *key, bool write)
{
    size_t nf = 0, nt = 0;
    const sm_object **from = diff_table_columns(r->from, column_owner(r->from, key), &nf);
    const sm_object **to = diff_table_columns(r->to, column_owner(r->to, key), &nt);
    bool reshaped = false;
    if (!from || !to) {
        r->out->failed = true;
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        const sm_object *t = column_named(to, nt, from[i]->name);
        bool gone = !t || diff_column_regenerated(r, from[i], t);
        reshaped = reshaped || gone || diff_column_retyped_in(r, key, from[i], t);
        if (write && gone) {
            diff_destructive(r, "drops column %s.%s and its data", key, from[i]->name);
            diff_stmt(r, "ALTER TABLE %s DROP COLUMN %s", key, from[i]->name);
        }
    }
    for (size_t i = 0; write && i < nt; i++) {
        const sm_object *f = column_named(from, nf, to[i]->name);
        if (f && !diff_column_regenerated(r, f, to[i])) {
            diff_column_alter(r, key, f, to[i]);
            continue;
        }
        sb_printf(r->out, "ALTER TABLE %s ADD COLUMN ", key);
        diff_column_def(r->out, to[i]);
        sb_puts(r->out, ";\n");
    }
done:
    free(from);
    free(to);
    return reshaped;
}

/* The columns of the tables detached or attached, tables by key. */
void diff_rehome_moved_tables(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_TABLE); i++) {
        const sm_object *t = sm_at(r->to, SM_TABLE, i);
        if (!diff_table_moved(r, t->key))
            continue;
        diff_about(r, t);
        diff_rehome_columns(r, t->key, true);
    }
}

/* ---- phase: partitions attached (and what detach leaves) ---------------- */

/* The qualified name of the index @it of @table. */
static void item_index_key(diff_run *r, const sm_object *table, const part_item *it)
{
    diff_schema_of(r->out, table->key, table->name);
    sb_printf(r->out, ".%.*s", (int)it->name_len, it->name);
}

static void item_drop(diff_run *r, const sm_object *table, const part_item *it)
{
    if (it->letter == 'i') {
        sb_puts(r->out, "DROP INDEX ");
        item_index_key(r, table, it);
        diff_stmt(r, "%s", "");
    } else {
        diff_stmt(r, "ALTER TABLE %s DROP CONSTRAINT %.*s", table->key, (int)it->name_len,
                  it->name);
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
        diff_stmt(r, " RENAME TO %.*s", (int)want->name_len, want->name);
    } else {
        diff_stmt(r, "ALTER TABLE %s RENAME CONSTRAINT %.*s TO %.*s", table->key, (int)it->name_len,
                  it->name, (int)want->name_len, want->name);
    }
}

static void item_create(diff_run *r, const sm_object *table, const part_item *it)
{
    if (it->letter == 'i')
        diff_index_create(r, it->def, it->def_len);
    else
        diff_stmt(r, "ALTER TABLE %s ADD CONSTRAINT %.*s %.*s", table->key, (int)it->name_len,
                  it->name, (int)it->def_len, it->def);
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
    const sm_object *f = diff_twin(r->from, t);
    bool was_partition = r->table_detached[diff_index_of(r->from, f)];
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
static void attach_if_moved(diff_run *r, size_t i, const sm_object *t)
{
    if (!r->table_attached[i])
        return;
    diff_about(r, t);
    attach_prepare(r, t);
    /* the server scans the table to check every row fits the bound,
     * unless a CHECK constraint already implies it; beside a default
     * partition it scans that one too, and fails on its rows of the bound */
    diff_stmt(r, "ALTER TABLE %s ATTACH PARTITION %s %s", sm_attr(t, SM_TABLE_PARTOF), t->key,
              sm_attr(t, SM_TABLE_BOUND));
}

/* Parents first: a partition attached under a partition attached too. */
void diff_attach_partitions(diff_run *r)
{
    diff_tables_parents_first(r, false, attach_if_moved);
}

/* ---- phase: partitions detached ----------------------------------------- */

/* What the detached @f had from its parent that the table @t is to have:
 * the one it is to be (named as in *@want). */
static bool leftover_wanted(const diff_run *r, const sm_object *t, const part_item *it,
                            part_item *want)
{
    if (r->table_attached[diff_index_of(r->to, t)])
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
void diff_detach_partitions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_TABLE); i++) {
        const sm_object *f = sm_at(r->from, SM_TABLE, i), *t = diff_twin(r->to, f);
        if (!r->table_detached[i])
            continue;
        diff_about(r, f);
        diff_stmt(r, "ALTER TABLE %s DETACH PARTITION %s", sm_attr(f, SM_TABLE_PARTOF), f->key);
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
