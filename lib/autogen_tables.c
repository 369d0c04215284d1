/*
 * autogen_tables.c - tables made (parents before partitions) and their
 * columns added, altered and dropped.
 *
 * Apart from the run because the column statements are shared by the
 * tables that stay where they are and by those that move between parents
 * (autogen_partitions.c).
 */
#include <stdlib.h>
#include <string.h>

#include "autogen_diff_internal.h"
#include "util.h"

/* ---- phase: tables and columns ------------------------------------------ */

/* What follows a column's type in its definition. */
static void column_options(strbuf *sb, const sm_object *c)
{
    if (sm_attr(c, SM_COL_GENERATED))
        sb_printf(sb, " GENERATED ALWAYS AS (%s) STORED", sm_attr(c, SM_COL_GENERATED));
    if (sm_attr(c, SM_COL_DEFAULT))
        sb_printf(sb, " DEFAULT %s", sm_attr(c, SM_COL_DEFAULT));
    const char *identity = sm_attr(c, SM_COL_IDENTITY);
    if (identity && *identity) {
        sb_printf(sb, " GENERATED %s AS IDENTITY", *identity == 'a' ? "ALWAYS" : "BY DEFAULT");
        diff_identity_options(sb, c);
    }
    if (diff_is_true(sm_attr(c, SM_COL_NOTNULL)))
        sb_puts(sb, " NOT NULL");
}

void diff_column_def(strbuf *sb, const sm_object *c)
{
    sb_printf(sb, "%s %s", c->name, sm_attr(c, SM_COL_TYPE));
    if (sm_attr(c, SM_COL_COLLATION))
        sb_printf(sb, " COLLATE %s", sm_attr(c, SM_COL_COLLATION));
    column_options(sb, c);
}

/* A typed table's columns come from its type: each with options is
 * written "name WITH OPTIONS ...". */
static void typed_columns(diff_run *r, const sm_object *t)
{
    size_t n = 0, written = 0;
    const sm_object **cols = diff_table_columns(r->to, t->key, &n);
    if (!cols)
        r->out->failed = true;
    for (size_t i = 0; cols && i < n; i++) {
        strbuf options = STRBUF_INIT;
        column_options(&options, cols[i]);
        if (options.len)
            sb_printf(r->out, "%s%s WITH OPTIONS%s", written++ ? ",\n    " : " (\n    ",
                      cols[i]->name, sb_str(&options) ? sb_str(&options) : "");
        if (sb_failed(&options))
            r->out->failed = true;
        sb_free(&options);
    }
    sb_puts(r->out, written ? "\n)" : "");
    free(cols);
}

static int cmp_attnum(const void *a, const void *b)
{
    const sm_object *x = *(const sm_object *const *)a, *y = *(const sm_object *const *)b;
    long p = atol(sm_attr(x, SM_COL_ATTNUM)), q = atol(sm_attr(y, SM_COL_ATTNUM));
    return p < q ? -1 : p > q;
}

static int cmp_table_attnum(const void *a, const void *b)
{
    int c = strcmp((*(const sm_object *const *)a)->table, (*(const sm_object *const *)b)->table);
    return c ? c : cmp_attnum(a, b);
}

/* The columns of @table in @m, by position; *n of them (NULL: no memory). */
const sm_object **diff_table_columns(const sm_model *m, const char *table, size_t *n)
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
    diff_about(r, t);
    sb_printf(r->out, "CREATE %sTABLE %s", unlogged ? "UNLOGGED " : "", t->key);
    if (sm_attr(t, SM_TABLE_OF)) {
        sb_printf(r->out, " OF %s", sm_attr(t, SM_TABLE_OF));
        typed_columns(r, t);
    } else if (sm_attr(t, SM_TABLE_PARTOF)) {
        /* beside a default partition the server scans it and fails when
         * it holds rows of the new bound: those rows must be moved out
         * first, which no schema comparison can know */
        sb_printf(r->out, " PARTITION OF %s %s", sm_attr(t, SM_TABLE_PARTOF),
                  sm_attr(t, SM_TABLE_BOUND));
    } else {
        size_t n = 0;
        const sm_object **cols = diff_table_columns(r->to, t->key, &n);
        if (!cols)
            r->out->failed = true;
        sb_puts(r->out, " (");
        for (size_t i = 0; cols && i < n; i++) {
            sb_puts(r->out, i ? ",\n    " : "\n    ");
            diff_column_def(r->out, cols[i]);
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

static void order_visit(diff_run *r, size_t i, bool *seen, bool inherits, diff_table_visit visit)
{
    if (seen[i])
        return;
    seen[i] = true;
    const sm_object *t = sm_at(r->to, SM_TABLE, i);
    const sm_object *p = sm_find(r->to, SM_TABLE, sm_attr(t, SM_TABLE_PARTOF));
    if (p)
        order_visit(r, diff_index_of(r->to, p), seen, inherits, visit);
    FOR_EACH_ITEM(inherits ? sm_attr(t, SM_TABLE_INHERITS) : NULL, item, len)
    {
        char *key = strndup(item, len);
        const sm_object *parent = key ? sm_find(r->to, SM_TABLE, key) : NULL;
        if (parent)
            order_visit(r, diff_index_of(r->to, parent), seen, inherits, visit);
        free(key);
    }
    visit(r, i, t);
}

void diff_tables_parents_first(diff_run *r, bool inherits, diff_table_visit visit)
{
    size_t n = sm_count(r->to, SM_TABLE);
    bool *seen = util_calloc(n, sizeof(*seen));
    if (!seen) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        order_visit(r, i, seen, inherits, visit);
    free(seen);
}

static void create_if_fresh(diff_run *r, size_t i, const sm_object *t)
{
    (void)i;
    if (diff_fresh(r, t))
        table_create(r, t);
}

/* New and rebuilt tables, each after its parents. */
void diff_create_tables(diff_run *r)
{
    diff_tables_parents_first(r, true, create_if_fresh);
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

/* The families of built-in types between which PostgreSQL has casts. */
enum type_family {
    FAM_NONE,
    FAM_STRING,
    FAM_NUMBER,
    FAM_BOOL,
    FAM_BIT,
    FAM_TIME,
    FAM_JSON,
    FAM_NET
};

static enum type_family family_of(const char *type)
{
    static const struct {
        const char *name;
        enum type_family family;
    } known[] = {
        { "text", FAM_STRING },
        { "character varying", FAM_STRING },
        { "character", FAM_STRING },
        { "\"char\"", FAM_STRING },
        { "name", FAM_STRING },
        { "smallint", FAM_NUMBER },
        { "integer", FAM_NUMBER },
        { "bigint", FAM_NUMBER },
        { "numeric", FAM_NUMBER },
        { "real", FAM_NUMBER },
        { "double precision", FAM_NUMBER },
        { "money", FAM_NUMBER },
        { "boolean", FAM_BOOL },
        { "bit", FAM_BIT },
        { "bit varying", FAM_BIT },
        { "date", FAM_TIME },
        { "timestamp without time zone", FAM_TIME },
        { "timestamp with time zone", FAM_TIME },
        { "time without time zone", FAM_TIME },
        { "time with time zone", FAM_TIME },
        { "interval", FAM_TIME },
        { "json", FAM_JSON },
        { "jsonb", FAM_JSON },
        { "inet", FAM_NET },
        { "cidr", FAM_NET },
        { "macaddr", FAM_NET },
        { "macaddr8", FAM_NET },
    };
    /* the name without its modifier, "numeric(10,2)", or array brackets */
    size_t n = strcspn(type, "([");
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].name) == n && strncmp(type, known[i].name, n) == 0)
            return known[i].family;
    return FAM_NONE;
}

bool diff_types_compare(const char *a, const char *b)
{
    static const char *const ints[] = { "smallint", "integer", "bigint" };
    bool ia = false, ib = false;
    for (size_t i = 0; i < 3; i++) {
        ia = ia || strcmp(a, ints[i]) == 0;
        ib = ib || strcmp(b, ints[i]) == 0;
    }
    const char *vc = "character varying";
    bool sa = strcmp(a, "text") == 0 || strncmp(a, vc, strlen(vc)) == 0;
    bool sb = strcmp(b, "text") == 0 || strncmp(b, vc, strlen(vc)) == 0;
    return (ia && ib) || (sa && sb);
}

/*
 * Whether @from casts to @to directly: a string type either way (input and
 * output functions), two types of one family, or an integer with a boolean
 * or a bit string.  Anything else (integer to uuid, two range types, two
 * enums) has no cast, and goes through its text form instead, which holds
 * for every value that means the same in both.
 */
static bool casts_directly(const char *from, const char *to)
{
    enum type_family a = family_of(from), b = family_of(to);
    if (a == FAM_STRING || b == FAM_STRING || (a != FAM_NONE && a == b))
        return true;
    return (a == FAM_NUMBER && (b == FAM_BOOL || b == FAM_BIT)) ||
           (b == FAM_NUMBER && (a == FAM_BOOL || a == FAM_BIT));
}

/* @table: where the column is altered (a partition's columns are read
 * from its root's). */
static void column_retype(diff_run *r, const char *table, const sm_object *f, const sm_object *t)
{
    const char *type = sm_attr(t, SM_COL_TYPE);
    /* a new collation alone keeps every value */
    if (strcmp(sm_attr(f, SM_COL_TYPE), type) != 0 && !widening(sm_attr(f, SM_COL_TYPE), type))
        diff_destructive(r, "%s.%s changes type from %s to %s; values may not fit", table, t->name,
                         sm_attr(f, SM_COL_TYPE), type);
    sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s TYPE %s", table, t->name, type);
    if (sm_attr(t, SM_COL_COLLATION))
        sb_printf(r->out, " COLLATE %s", sm_attr(t, SM_COL_COLLATION));
    bool text = strcmp(sm_attr(f, SM_COL_TYPE), type) != 0 &&
                !casts_directly(sm_attr(f, SM_COL_TYPE), type);
    diff_stmt(r, " USING %s::%s%s", t->name, text ? "text::" : "", type);
}

/* The column @f of @table is to be retyped as @t: it differs as
 * compare_type says, or in any way when the table is attached (ATTACH
 * wants the parent's types and collations whatever compare_type says). */
bool diff_column_retyped_in(const diff_run *r, const char *table, const sm_object *f,
                            const sm_object *t)
{
    if (diff_table_attached(r, table))
        return !diff_attr_eq(f, t, SM_COL_TYPE) || !diff_attr_eq(f, t, SM_COL_COLLATION);
    return diff_column_retyped(r, f, t);
}

/* The kept column @f's default calls a function that is dropped first
 * (diff_calls_refreshed_function): the default goes before the function
 * (diff_release_columns) and comes back after (diff_column_alter). */
/* The from-column @f stays where it is, altered (diff_column_alter). */
static bool column_altered_in_place(const diff_run *r, const sm_object *f)
{
    return diff_table_kept(r, f->table) && !diff_table_moved(r, f->table) && diff_twin(r->to, f) &&
           !diff_column_gone(r, f);
}

static bool default_released(const diff_run *r, const sm_object *f)
{
    return diff_calls_refreshed_function(r, sm_attr(f, SM_COL_DEFAULT)) &&
           column_altered_in_place(r, f);
}

/* The column @f loses its identity, whose sequence goes with it: before
 * a sequence of that name can be made (identity to serial). */
static bool identity_released(const diff_run *r, const sm_object *f)
{
    const char *fi = sm_attr(f, SM_COL_IDENTITY);
    const sm_object *t = diff_twin(r->to, f);
    const char *ti = t ? sm_attr(t, SM_COL_IDENTITY) : NULL;
    return fi && *fi && !(ti && *ti) && column_altered_in_place(r, f);
}

/* The generated column @f of a table altered in place becomes a plain
 * one: its expression goes first, before a column it reads is retyped or
 * a function it calls is dropped (the server refuses either under it). */
static bool expression_released(const diff_run *r, const sm_object *f)
{
    return diff_expression_dropped(f, diff_twin(r->to, f)) && column_altered_in_place(r, f);
}

/* The kept table's generated column @f calls such a function: dropped
 * before it (diff_release_columns), added again after. */
static bool generated_released(const diff_run *r, const sm_object *f)
{
    return !diff_expression_dropped(f, diff_twin(r->to, f)) &&
           diff_calls_refreshed_function(r, sm_attr(f, SM_COL_GENERATED)) &&
           diff_table_kept(r, f->table) && !diff_table_moved(r, f->table) &&
           !diff_columns_follow_type(r, f->table);
}

static void drop_column(diff_run *r, const sm_object *f)
{
    diff_about(r, f);
    diff_destructive(r, "drops column %s and its data", f->key);
    diff_stmt(r, "ALTER TABLE %s DROP COLUMN %s", f->table, f->name);
}

/* Before sequences and functions are made: the defaults and generated
 * columns that call a function dropped and made again go, and the
 * identities that go. */
void diff_release_columns(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *f = sm_at(r->from, SM_COLUMN, i);
        if (generated_released(r, f)) {
            drop_column(r, f);
            continue;
        }
        if (expression_released(r, f)) {
            diff_about(r, f);
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION", f->table, f->name);
        }
        if (identity_released(r, f)) {
            diff_about(r, f);
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY", f->table, f->name);
        }
        if (default_released(r, f)) {
            diff_about(r, f);
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", f->table, f->name);
        }
    }
}

void diff_column_alter(diff_run *r, const char *table, const sm_object *f, const sm_object *t)
{
    const char *fi = sm_attr(f, SM_COL_IDENTITY), *ti = sm_attr(t, SM_COL_IDENTITY);
    bool had_identity = fi && *fi, has_identity = ti && *ti;
    /* a typed table's columns are retyped with their type (CASCADE) */
    bool retype = diff_column_retyped_in(r, table, f, t) && !diff_columns_follow_type(r, table);
    bool redefault = diff_attr_differs(r, f, t, SM_COL_DEFAULT);
    bool released = default_released(r, f);
    /* those of a table altered in place went before (diff_release_columns) */
    if (diff_expression_dropped(f, t) && !expression_released(r, f))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION", table, t->name);
    if (had_identity && !has_identity && !identity_released(r, f))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY", table, t->name);
    /* the old default may not cast to the new type */
    if (sm_attr(f, SM_COL_DEFAULT) && (redefault || retype) && !released)
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, t->name);
    if (retype)
        column_retype(r, table, f, t);
    if (sm_attr(t, SM_COL_DEFAULT) &&
        (redefault || released || (retype && sm_attr(f, SM_COL_DEFAULT))))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", table, t->name,
                  sm_attr(t, SM_COL_DEFAULT));
    if (!diff_attr_eq(f, t, SM_COL_NOTNULL))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL", table, t->name,
                  diff_is_true(sm_attr(t, SM_COL_NOTNULL)) ? "SET" : "DROP");
    if (has_identity && !had_identity) {
        sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY", table,
                  t->name, *ti == 'a' ? "ALWAYS" : "BY DEFAULT");
        diff_identity_options(r->out, t);
        diff_stmt(r, "%s", "");
    } else if (has_identity && had_identity) {
        if (*fi != *ti)
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s", table, t->name,
                      *ti == 'a' ? "ALWAYS" : "BY DEFAULT");
        diff_identity_alter(r, table, f, t);
    }
}

/* A column its type gave a typed table (ALTER TYPE ... ADD ATTRIBUTE
 * CASCADE): its own default and NOT NULL. */
static void typed_column_added(diff_run *r, const sm_object *t)
{
    if (sm_attr(t, SM_COL_DEFAULT))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", t->table, t->name,
                  sm_attr(t, SM_COL_DEFAULT));
    if (diff_is_true(sm_attr(t, SM_COL_NOTNULL)))
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t->table, t->name);
}

/*
 * SET LOGGED or UNLOGGED for the to-table @i when it changes, after the
 * tables the server wants changed first: a logged table may not reference
 * an unlogged one, so a table becomes logged after the tables it
 * references, and unlogged after the tables that reference it (by the
 * foreign keys there are then: those of the from-model).
 */
static void persistence_visit(diff_run *r, size_t i, bool *seen)
{
    const sm_object *t = sm_at(r->to, SM_TABLE, i), *f = diff_twin(r->from, t);
    if (seen[i] || !f || !diff_table_kept(r, t->key) || diff_attr_eq(f, t, SM_TABLE_PERSISTENCE))
        return;
    seen[i] = true;
    bool unlogged = strcmp(sm_attr(t, SM_TABLE_PERSISTENCE), "u") == 0;
    for (size_t k = 0; k < sm_count(r->from, SM_CONSTRAINT); k++) {
        const sm_object *c = sm_at(r->from, SM_CONSTRAINT, k);
        const char *ref = sm_attr(c, SM_CON_REFTABLE);
        const char *near = unlogged ? ref : c->table, *far = unlogged ? c->table : ref;
        const sm_object *other = ref && strcmp(near, t->key) == 0 && strcmp(far, t->key) != 0
                                     ? sm_find(r->to, SM_TABLE, far)
                                     : NULL;
        if (other)
            persistence_visit(r, diff_index_of(r->to, other), seen);
    }
    diff_about(r, t);
    diff_stmt(r, "ALTER TABLE %s SET %s", t->key, unlogged ? "UNLOGGED" : "LOGGED");
}

void diff_alter_tables(diff_run *r)
{
    size_t n_tables = sm_count(r->to, SM_TABLE);
    bool *seen = util_calloc(n_tables, sizeof(*seen));
    if (!seen) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n_tables; i++)
        persistence_visit(r, i, seen);
    free(seen);
    /* columns dropped first: a regenerated column is added back below; the
     * generated ones before the others, which they may read */
    for (int generated = 1; generated >= 0; generated--)
        for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
            const sm_object *f = sm_at(r->from, SM_COLUMN, i);
            if ((sm_attr(f, SM_COL_GENERATED) != NULL) == generated &&
                diff_table_kept(r, f->table) && !diff_table_moved(r, f->table) &&
                !diff_columns_follow_type(r, f->table) && diff_column_gone(r, f) &&
                !generated_released(r, f))
                drop_column(r, f);
        }
    size_t n = sm_count(r->to, SM_COLUMN);
    const sm_object **added = util_calloc(n, sizeof(*added));
    size_t n_added = 0;
    if (!added) {
        r->out->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const sm_object *t = sm_at(r->to, SM_COLUMN, i), *f = diff_twin(r->from, t);
        if (!diff_table_kept(r, t->table) || diff_table_moved(r, t->table))
            continue;
        diff_about(r, t);
        if (diff_fresh(r, t) && diff_columns_follow_type(r, t->table))
            typed_column_added(r, t);
        else if (diff_fresh(r, t))
            added[n_added++] = t;
        else
            diff_column_alter(r, t->table, f, t);
    }
    /* added in their table's order (ALTER TABLE ... OF wants the type's),
     * tables by key */
    qsort(added, n_added, sizeof(*added), cmp_table_attnum);
    for (size_t i = 0; i < n_added; i++) {
        diff_about(r, added[i]);
        sb_printf(r->out, "ALTER TABLE %s ADD COLUMN ", added[i]->table);
        diff_column_def(r->out, added[i]);
        sb_puts(r->out, ";\n");
    }
    free(added);
}
