/*
 * lint_rules.c - the rule table and the checks, over libpg_query's JSON
 * parse tree (PostgreSQL 15's node names, read through lint_json.h).
 *
 * Each check looks at one statement, asks the catalog whether the table it
 * touches was created by this run (such a table has no traffic yet, so the
 * lock and rewrite rules leave it alone) and reports through lint_emit().
 * Findings point at the construct at fault when the parser gives its
 * position (a column, a type, a constraint), else at the statement.
 */
#include "lint_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the rule table ---------------------------------------------------- */

static const struct {
    const char *id;
    um_lint_severity severity;
} rules[LINT_N_RULES] = {
    [LINT_SYNTAX_ERROR] = { "syntax-error", UM_LINT_ERROR },
    [LINT_DROP_TABLE] = { "drop-table", UM_LINT_ERROR },
    [LINT_DROP_COLUMN] = { "drop-column", UM_LINT_ERROR },
    [LINT_DROP_SCHEMA] = { "drop-schema", UM_LINT_ERROR },
    [LINT_DROP_DATABASE] = { "drop-database", UM_LINT_ERROR },
    [LINT_TRUNCATE] = { "truncate", UM_LINT_ERROR },
    [LINT_DELETE_WITHOUT_WHERE] = { "delete-without-where", UM_LINT_ERROR },
    [LINT_UPDATE_WITHOUT_WHERE] = { "update-without-where", UM_LINT_ERROR },
    [LINT_LOSSY_TYPE_CHANGE] = { "lossy-type-change", UM_LINT_ERROR },
    [LINT_ALTER_COLUMN_TYPE] = { "alter-column-type", UM_LINT_WARNING },
    [LINT_SET_NOT_NULL] = { "set-not-null", UM_LINT_WARNING },
    [LINT_VOLATILE_DEFAULT] = { "add-column-volatile-default", UM_LINT_WARNING },
    [LINT_REQUIRED_COLUMN] = { "add-column-not-null", UM_LINT_WARNING },
    [LINT_CREATE_INDEX] = { "create-index-not-concurrently", UM_LINT_WARNING },
    [LINT_DROP_INDEX] = { "drop-index-not-concurrently", UM_LINT_WARNING },
    [LINT_REINDEX] = { "reindex-not-concurrently", UM_LINT_WARNING },
    [LINT_CONSTRAINT_NOT_VALID] = { "constraint-without-not-valid", UM_LINT_WARNING },
    [LINT_VALIDATE_SAME_TX] = { "validate-in-same-transaction", UM_LINT_WARNING },
    [LINT_KEY_WITHOUT_INDEX] = { "add-key-without-index", UM_LINT_WARNING },
    [LINT_VACUUM_FULL] = { "vacuum-full", UM_LINT_WARNING },
    [LINT_CLUSTER] = { "cluster", UM_LINT_WARNING },
    [LINT_LOCK_TABLE] = { "lock-table", UM_LINT_WARNING },
    [LINT_RENAME_TABLE] = { "rename-table", UM_LINT_WARNING },
    [LINT_RENAME_COLUMN] = { "rename-column", UM_LINT_WARNING },
    [LINT_COLUMN_IN_VIEW] = { "column-used-by-view", UM_LINT_ERROR },
    [LINT_CONCURRENTLY_IN_TX] = { "concurrently-in-transaction", UM_LINT_ERROR },
    [LINT_VACUUM_IN_TX] = { "vacuum-in-transaction", UM_LINT_ERROR },
    [LINT_TRANSACTION_CONTROL] = { "transaction-control", UM_LINT_ERROR },
    [LINT_MISSING_DOWN] = { "missing-down", UM_LINT_WARNING },
    [LINT_SERIAL] = { "serial-column", UM_LINT_WARNING },
    [LINT_TIMESTAMP] = { "timestamp-without-time-zone", UM_LINT_WARNING },
    [LINT_LENGTH_LIMIT] = { "char-length-limit", UM_LINT_WARNING },
    [LINT_INTEGER_PK] = { "integer-primary-key", UM_LINT_WARNING },
    [LINT_LOCK_TIMEOUT] = { "missing-lock-timeout", UM_LINT_WARNING },
    [LINT_IGNORE_WITHOUT_REASON] = { "lint-ignore-without-reason", UM_LINT_WARNING },
    [LINT_IGNORE_UNKNOWN_RULE] = { "lint-ignore-unknown-rule", UM_LINT_WARNING },
};

const char *lint_rule_id(lint_rule rule)
{
    return rules[rule].id;
}

um_lint_severity lint_rule_default(lint_rule rule)
{
    return rules[rule].severity;
}

int lint_rule_find(const char *id)
{
    for (int r = 0; r < LINT_N_RULES; r++)
        if (strcmp(rules[r].id, id) == 0)
            return r;
    return -1;
}

int lint_severity_parse(const char *word)
{
    if (strcasecmp(word, "error") == 0)
        return UM_LINT_ERROR;
    if (strcasecmp(word, "warning") == 0 || strcasecmp(word, "warn") == 0)
        return UM_LINT_WARNING;
    if (strcasecmp(word, "off") == 0)
        return LINT_OFF;
    return -1;
}

const char *lint_severity_name(um_lint_severity severity)
{
    return severity == UM_LINT_ERROR ? "error" : "warning";
}

/* ---- reading the tree -------------------------------------------------- */

static const lj_node *get(const lj_node *o, const char *key)
{
    return lj_get(o, key);
}

static const char *get_str(const lj_node *o, const char *key)
{
    return lj_str(lj_get(o, key));
}

static bool get_flag(const lj_node *o, const char *key)
{
    return lj_is_true(lj_get(o, key));
}

static bool get_is(const lj_node *o, const char *key, const char *value)
{
    const char *s = get_str(o, key);
    return s && strcmp(s, value) == 0;
}

/* A node's "location", -1 when the parser gave none. */
static int location(const lj_node *o)
{
    const lj_node *l = lj_get(o, "location");
    return l ? (int)lj_int(l) : -1;
}

/* The text of a String node ({"String": {"sval": ...}}), or NULL. */
static const char *string_node(const lj_node *n)
{
    return get_str(get(n, "String"), "sval");
}

/* A relation as written: schema (NULL: unqualified), name, position. */
typedef struct rel {
    const char *schema, *name;
    int location;
    char text[160]; /* "schema.name" or "name", for messages */
} rel;

static void rel_text(rel *r)
{
    snprintf(r->text, sizeof(r->text), "%s%s%s", r->schema ? r->schema : "", r->schema ? "." : "",
             r->name ? r->name : "?");
}

/* From a RangeVar's fields. */
static rel range_var(const lj_node *rv)
{
    rel r = { get_str(rv, "schemaname"), get_str(rv, "relname"), location(rv), "" };
    rel_text(&r);
    return r;
}

/* From a qualified name: a list of String nodes (DROP's objects). */
static rel qualified_name(const lj_node *names)
{
    size_t n = lj_size(names);
    rel r = { n >= 2 ? string_node(lj_at(names, n - 2)) : NULL,
              n >= 1 ? string_node(lj_at(names, n - 1)) : NULL, -1, "" };
    rel_text(&r);
    return r;
}

static bool is_new(lint_stmt *st, const rel *r)
{
    return r->name && lint_catalog_is_new_table(st->cat, r->schema, r->name);
}

/* ---- types ------------------------------------------------------------- */

typedef struct type_ref {
    const char *name; /* last part: "int4", "varchar", "serial" */
    bool catalog;     /* pg_catalog.name, as the grammar writes SQL types */
    const lj_node *typmods;
    bool array;
    int location;
} type_ref;

static type_ref type_of(const lj_node *type_name)
{
    const lj_node *names = get(type_name, "names");
    size_t n = lj_size(names);
    const char *first = n ? string_node(lj_at(names, 0)) : NULL;
    type_ref t = {
        n ? string_node(lj_at(names, n - 1)) : NULL,
        n == 2 && first && strcmp(first, "pg_catalog") == 0,
        get(type_name, "typmods"),
        lj_size(get(type_name, "arrayBounds")) > 0,
        location(type_name),
    };
    if (!t.name)
        t.name = "";
    return t;
}

static bool name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static bool is_serial(const type_ref *t)
{
    static const char *const serials[] = { "serial",      "serial4", "bigserial", "serial8",
                                           "smallserial", "serial2", NULL };
    return !t->catalog && name_in(t->name, serials);
}

static bool is_small_integer(const type_ref *t)
{
    static const char *const small[] = { "int4",        "int2",    "serial", "serial4",
                                         "smallserial", "serial2", NULL };
    return name_in(t->name, small);
}

static bool has_typmods(const type_ref *t)
{
    return lj_size(t->typmods) > 0;
}

static bool is_length_limited(const type_ref *t)
{
    return (strcmp(t->name, "varchar") == 0 && has_typmods(t)) ||
           (t->catalog && strcmp(t->name, "bpchar") == 0);
}

/*
 * A target type that can hold less than most types it replaces: a length
 * or precision limit, or a narrow type.  Without the database the old type
 * is unknown, so this errs towards reporting.
 */
static bool is_lossy_target(const type_ref *t)
{
    static const char *const narrow[] = { "int2", "int4", "float4", "date", NULL };
    static const char *const limited[] = { "varchar",     "bpchar",   "bit",    "varbit",
                                           "numeric",     "time",     "timetz", "timestamp",
                                           "timestamptz", "interval", NULL };
    return name_in(t->name, narrow) || (has_typmods(t) && name_in(t->name, limited));
}

/* "varchar(20)" for messages. */
static void type_text(const type_ref *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s", t->name);
    for (const lj_node *m = lj_first(t->typmods); m; m = lj_next(m)) {
        const lj_node *ival = get(get(get(m, "A_Const"), "ival"), "ival");
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%lld",
                                     m == lj_first(t->typmods) ? "(" : ",", lj_int(ival));
    }
    if (has_typmods(t) && used < size)
        used += (size_t)snprintf(buf + used, size - used, ")");
    if (t->array && used < size)
        snprintf(buf + used, size - used, "[]");
}

/* ---- the lock_timeout rule --------------------------------------------- */

/*
 * Notes that the statement takes a lock that blocks traffic on an existing
 * table (@what on @table).  Waiting for it queues every query behind it, so
 * the first such statement of a revision with no lock_timeout is reported,
 * once per revision.
 */
static void strong_lock(lint_stmt *st, const char *what, const char *table)
{
    lint_revision *rev = st->rev;
    if (rev->engine_lock_timeout || rev->lock_timeout_set || rev->lock_reported)
        return;
    rev->lock_reported = true;
    lint_emit(st, LINT_LOCK_TIMEOUT, -1,
              "%s locks %s, and while it waits for running transactions every query on %s "
              "queues behind it; this revision sets no lock_timeout: set lock_timeout in the "
              "configuration, or start the revision with SET lock_timeout = '5s'",
              what, table, table);
}

static void set_variable(lint_stmt *st, const lj_node *n)
{
    if (!get_is(n, "name", "lock_timeout") && !get_is(n, "kind", "VAR_RESET_ALL"))
        return;
    const lj_node *c = get(lj_at(get(n, "args"), 0), "A_Const");
    const char *s = get_str(get(c, "sval"), "sval");
    const lj_node *ival = get(get(c, "ival"), "ival");
    bool zero = s ? strtod(s, NULL) == 0 : lj_int(ival) == 0;
    /* SET lock_timeout = 0 and RESET put back "wait forever". */
    st->rev->lock_timeout_set = get_is(n, "kind", "VAR_SET_VALUE") && !zero;
}

/* ---- data loss --------------------------------------------------------- */

static void drop_tables(lint_stmt *st, const lj_node *objects)
{
    for (const lj_node *o = lj_first(objects); o; o = lj_next(o)) {
        rel r = qualified_name(get(get(o, "List"), "items"));
        if (is_new(st, &r))
            continue;
        lint_emit(st, LINT_DROP_TABLE, -1,
                  "DROP TABLE %s deletes the table and every row in it, and breaks running "
                  "code that still uses it; remove its use from the code first, back it up, "
                  "then drop it in a later revision",
                  r.text);
        strong_lock(st, "DROP TABLE", r.text);
    }
}

static void drop_indexes(lint_stmt *st, const lj_node *n)
{
    if (get_flag(n, "concurrent")) {
        if (st->rev->transactional)
            lint_emit(st, LINT_CONCURRENTLY_IN_TX, -1,
                      "DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this "
                      "revision runs in one; move it to a revision with 'Transactional: no'");
        return;
    }
    for (const lj_node *o = lj_first(get(n, "objects")); o; o = lj_next(o)) {
        rel r = qualified_name(get(get(o, "List"), "items"));
        if (lint_catalog_index(st->cat, r.schema, r.name) == LINT_INDEX_ON_NEW)
            continue;
        lint_emit(st, LINT_DROP_INDEX, -1,
                  "DROP INDEX %s takes an ACCESS EXCLUSIVE lock on its table, blocking reads "
                  "and writes; use DROP INDEX CONCURRENTLY in a revision with "
                  "'Transactional: no'",
                  r.text);
        strong_lock(st, "DROP INDEX", "the index's table");
    }
}

static void drop_views(lint_stmt *st, const lj_node *objects)
{
    for (const lj_node *o = lj_first(objects); o; o = lj_next(o)) {
        rel r = qualified_name(get(get(o, "List"), "items"));
        lint_catalog_drop_view(st->cat, r.schema, r.name);
    }
}

static void check_drop(lint_stmt *st, const lj_node *n)
{
    const char *type = get_str(n, "removeType");
    if (!type)
        return;
    if (strcmp(type, "OBJECT_TABLE") == 0)
        drop_tables(st, get(n, "objects"));
    else if (strcmp(type, "OBJECT_INDEX") == 0)
        drop_indexes(st, n);
    else if (strcmp(type, "OBJECT_VIEW") == 0 || strcmp(type, "OBJECT_MATVIEW") == 0)
        drop_views(st, get(n, "objects"));
    else if (strcmp(type, "OBJECT_SCHEMA") == 0)
        lint_emit(st, LINT_DROP_SCHEMA, -1,
                  "DROP SCHEMA %s deletes the schema, and with CASCADE every table and row in "
                  "it; move what is still needed, back it up, and drop it once nothing uses it",
                  string_node(lj_at(get(n, "objects"), 0)));
}

static void check_dropdb(lint_stmt *st, const lj_node *n)
{
    lint_emit(st, LINT_DROP_DATABASE, -1,
              "DROP DATABASE %s deletes a whole database; a migration should never do that: "
              "drop it by hand, after a backup",
              get_str(n, "dbname"));
}

static void check_truncate(lint_stmt *st, const lj_node *n)
{
    for (const lj_node *o = lj_first(get(n, "relations")); o; o = lj_next(o)) {
        rel r = range_var(get(o, "RangeVar"));
        if (is_new(st, &r))
            continue;
        lint_emit(st, LINT_TRUNCATE, -1,
                  "TRUNCATE %s deletes every row, under an ACCESS EXCLUSIVE lock; if the rows "
                  "really must go, back them up and say why in a lint-ignore",
                  r.text);
        strong_lock(st, "TRUNCATE", r.text);
    }
}

static void check_ctes(lint_stmt *st, const lj_node *n);

/*
 * DELETE or UPDATE @n (LINT_DELETE_WITHOUT_WHERE or _UPDATE_): @nested
 * when inside a WITH clause, where the relation is the best position.
 */
static void check_where(lint_stmt *st, const lj_node *n, lint_rule rule, bool nested)
{
    rel r = range_var(get(n, "relation"));
    bool every_row = !get(n, "whereClause") && !is_new(st, &r);
    int loc = nested ? r.location : -1;
    if (every_row && rule == LINT_DELETE_WITHOUT_WHERE)
        lint_emit(st, rule, loc,
                  "DELETE FROM %s has no WHERE clause, so it deletes every row; add the WHERE "
                  "clause, or if the table must be emptied, back it up and say why in a "
                  "lint-ignore",
                  r.text);
    else if (every_row)
        lint_emit(st, rule, loc,
                  "UPDATE %s has no WHERE clause, so it overwrites every row (and locks them "
                  "all until commit); add the WHERE clause, and backfill a large table in "
                  "batches by key range",
                  r.text);
    check_ctes(st, n);
}

/* Data-modifying statements in WITH clauses delete and update as well. */
static void check_ctes(lint_stmt *st, const lj_node *n)
{
    for (const lj_node *c = lj_first(get(get(n, "withClause"), "ctes")); c; c = lj_next(c)) {
        const lj_node *q = get(get(c, "CommonTableExpr"), "ctequery");
        if (get(q, "DeleteStmt"))
            check_where(st, get(q, "DeleteStmt"), LINT_DELETE_WITHOUT_WHERE, true);
        else if (get(q, "UpdateStmt"))
            check_where(st, get(q, "UpdateStmt"), LINT_UPDATE_WITHOUT_WHERE, true);
    }
}

static void check_delete(lint_stmt *st, const lj_node *n)
{
    check_where(st, n, LINT_DELETE_WITHOUT_WHERE, false);
}

static void check_update(lint_stmt *st, const lj_node *n)
{
    check_where(st, n, LINT_UPDATE_WITHOUT_WHERE, false);
}

static void check_select(lint_stmt *st, const lj_node *n)
{
    check_ctes(st, n);
}

/* ---- columns ----------------------------------------------------------- */

/* The column's constraint of type @contype ("CONSTR_NOTNULL"), or NULL. */
static const lj_node *column_constraint(const lj_node *cd, const char *contype)
{
    for (const lj_node *c = lj_first(get(cd, "constraints")); c; c = lj_next(c)) {
        const lj_node *con = get(c, "Constraint");
        if (get_is(con, "contype", contype))
            return con;
    }
    return NULL;
}

/* The first call in @expr of a function that returns a new value per row. */
static const char *volatile_call(const lj_node *expr)
{
    static const char *const volatile_functions[] = {
        "random",
        "random_normal",
        "gen_random_uuid",
        "gen_random_bytes",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        NULL,
    };
    /* Array elements and object members alike: the children of the node. */
    for (const lj_node *v = lj_first(expr); v; v = lj_next(v)) {
        const char *key = lj_key(v);
        const lj_node *names = key && strcmp(key, "FuncCall") == 0 ? get(v, "funcname") : NULL;
        const char *f = names ? string_node(lj_last(names)) : NULL;
        if (f && name_in(f, volatile_functions))
            return f;
        if ((f = volatile_call(v)))
            return f;
    }
    return NULL;
}

/* Rules about a column's type, wherever a column is defined. */
static void column_type(lint_stmt *st, const lj_node *cd, const type_ref *t)
{
    const char *col = get_str(cd, "colname");
    char ty[96];
    type_text(t, ty, sizeof(ty));
    if (is_serial(t))
        lint_emit(st, LINT_SERIAL, t->location,
                  "column %s is %s, whose sequence is a separate object with its own owner and "
                  "grants; use bigint GENERATED ALWAYS AS IDENTITY",
                  col, t->name);
    if (strcmp(t->name, "timestamp") == 0)
        lint_emit(st, LINT_TIMESTAMP, t->location,
                  "column %s is timestamp without time zone, whose values mean another instant "
                  "in every session time zone; use timestamptz",
                  col);
    if (is_length_limited(t) && strcmp(t->name, "bpchar") == 0)
        lint_emit(st, LINT_LENGTH_LIMIT, t->location,
                  "column %s is char(n), which pads shorter values with spaces that "
                  "comparisons then ignore; use text, with a CHECK on char_length(%s) if a "
                  "limit is needed",
                  col, col);
    else if (is_length_limited(t))
        lint_emit(st, LINT_LENGTH_LIMIT, t->location,
                  "column %s is %s: changing the limit later takes an ACCESS EXCLUSIVE lock "
                  "(and lowering it rewrites the table); use text with a CHECK "
                  "(char_length(%s) <= n), which changes without a rewrite",
                  col, ty, col);
}

static void integer_key(lint_stmt *st, const lj_node *cd, const type_ref *t)
{
    if (is_small_integer(t))
        lint_emit(st, LINT_INTEGER_PK, t->location,
                  "primary key %s is a 32-bit integer, which runs out after 2,147,483,647 "
                  "values, and widening it later rewrites the table and every table that "
                  "references it; use bigint",
                  get_str(cd, "colname"));
}

/* What adding column @cd to an existing table costs while it runs. */
/* Why adding a column fills every row, and the way around it. */
typedef struct rewrite {
    const char *what; /* "gen_random_uuid", "an identity", ...; NULL: no rewrite */
    bool function;    /* what is a function's name */
    const char *instead;
} rewrite;

static rewrite rewrite_of(const lj_node *cd, const type_ref *t)
{
    const lj_node *def = column_constraint(cd, "CONSTR_DEFAULT");
    const char *f = def ? volatile_call(get(def, "raw_expr")) : NULL;
    if (f)
        return (rewrite){ f, true,
                          "add it without the default, SET DEFAULT afterwards for new rows, and "
                          "backfill the existing rows in batches" };
    if (column_constraint(cd, "CONSTR_IDENTITY"))
        return (rewrite){ "an identity", false,
                          "add a plain bigint column, backfill it in batches, SET NOT NULL, then "
                          "ALTER COLUMN ... ADD GENERATED ALWAYS AS IDENTITY" };
    if (column_constraint(cd, "CONSTR_GENERATED"))
        return (rewrite){ "a stored generated", false,
                          "there is no cheap form: fill a plain column from a trigger and "
                          "backfill it in batches, or add it while the table is small" };
    if (is_serial(t))
        return (rewrite){ "a serial", false,
                          "add a plain bigint column, backfill it in batches, then give it a "
                          "default or an identity" };
    return (rewrite){ NULL, false, NULL };
}

/* What adding column @cd to an existing table costs while it runs. */
static void added_column_cost(lint_stmt *st, const lj_node *cd, const type_ref *t, const rel *r)
{
    const char *col = get_str(cd, "colname");
    rewrite rw = rewrite_of(cd, t);
    int loc = location(cd);
    if (rw.what)
        lint_emit(st, LINT_VOLATILE_DEFAULT, loc,
                  "column %s gets %s%s value per row, so adding it rewrites %s under an ACCESS "
                  "EXCLUSIVE lock; %s",
                  col, rw.what, rw.function ? "(), a new" : "", r->text, rw.instead);
    bool not_null =
        column_constraint(cd, "CONSTR_NOTNULL") || column_constraint(cd, "CONSTR_PRIMARY");
    if (not_null && !column_constraint(cd, "CONSTR_DEFAULT") && !rw.what)
        lint_emit(st, LINT_REQUIRED_COLUMN, loc,
                  "column %s is NOT NULL without a default, so adding it fails on a table "
                  "with rows; give it a constant DEFAULT, or add it nullable, backfill, and "
                  "set NOT NULL later",
                  col);
}

/* Constraints written in the column definition of an added column. */
static void added_column_constraints(lint_stmt *st, const lj_node *cd, const rel *r)
{
    for (const lj_node *c = lj_first(get(cd, "constraints")); c; c = lj_next(c)) {
        const lj_node *con = get(c, "Constraint");
        const char *type = get_str(con, "contype");
        if (!type)
            continue;
        if (strcmp(type, "CONSTR_FOREIGN") == 0 || strcmp(type, "CONSTR_CHECK") == 0)
            lint_emit(st, LINT_CONSTRAINT_NOT_VALID, location(con),
                      "a %s on a new column of %s checks every row while the table is locked; "
                      "add the column first, then ADD CONSTRAINT ... NOT VALID and VALIDATE "
                      "CONSTRAINT in a later revision",
                      strcmp(type, "CONSTR_CHECK") == 0 ? "CHECK" : "FOREIGN KEY", r->text);
        else if (strcmp(type, "CONSTR_PRIMARY") == 0 || strcmp(type, "CONSTR_UNIQUE") == 0)
            lint_emit(st, LINT_KEY_WITHOUT_INDEX, location(con),
                      "a %s column builds its index under an ACCESS EXCLUSIVE lock on %s; add "
                      "the column, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... "
                      "USING INDEX",
                      strcmp(type, "CONSTR_UNIQUE") == 0 ? "UNIQUE" : "PRIMARY KEY", r->text);
    }
}

static void column_def(lint_stmt *st, const lj_node *cd, const rel *r, bool existing)
{
    type_ref t = type_of(get(cd, "typeName"));
    column_type(st, cd, &t);
    if (column_constraint(cd, "CONSTR_PRIMARY"))
        integer_key(st, cd, &t);
    if (!existing)
        return;
    added_column_cost(st, cd, &t, r);
    added_column_constraints(st, cd, r);
}

/* ---- CREATE TABLE, views ----------------------------------------------- */

static const lj_node *find_column(const lj_node *elts, const char *name)
{
    for (const lj_node *e = lj_first(elts); e; e = lj_next(e)) {
        const lj_node *cd = get(e, "ColumnDef");
        if (cd && name && get_is(cd, "colname", name))
            return cd;
    }
    return NULL;
}

/* A foreign key to an existing table locks that table against writes. */
static void references(lint_stmt *st, const lj_node *con)
{
    if (!get_is(con, "contype", "CONSTR_FOREIGN"))
        return;
    rel pk = range_var(get(con, "pktable"));
    if (!is_new(st, &pk))
        strong_lock(st, "a FOREIGN KEY", pk.text);
}

static void table_constraint(lint_stmt *st, const lj_node *elts, const lj_node *con)
{
    const lj_node *keys = get(con, "keys");
    references(st, con);
    if (!get_is(con, "contype", "CONSTR_PRIMARY") || lj_size(keys) != 1)
        return;
    const lj_node *cd = find_column(elts, string_node(lj_at(keys, 0)));
    if (cd) {
        type_ref t = type_of(get(cd, "typeName"));
        integer_key(st, cd, &t);
    }
}

static void check_create(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(n, "relation"));
    const lj_node *elts = get(n, "tableElts");
    for (const lj_node *e = lj_first(elts); e; e = lj_next(e)) {
        const lj_node *cd = get(e, "ColumnDef");
        if (cd) {
            column_def(st, cd, &r, false);
            for (const lj_node *c = lj_first(get(cd, "constraints")); c; c = lj_next(c))
                references(st, get(c, "Constraint"));
        } else if (get(e, "Constraint"))
            table_constraint(st, elts, get(e, "Constraint"));
    }
    lint_catalog_add_table(st->cat, r.schema, r.name);
}

/* Records what a view's query reads: relations and column names. */
static void view_reads(lint_stmt *st, const lj_node *n)
{
    for (const lj_node *v = lj_first(n); v; v = lj_next(v)) {
        const char *key = lj_key(v);
        if (key && strcmp(key, "RangeVar") == 0) {
            rel r = range_var(v);
            lint_catalog_view_reads_table(st->cat, r.schema, r.name);
        } else if (key && strcmp(key, "ColumnRef") == 0) {
            const lj_node *last = lj_last(get(v, "fields"));
            lint_catalog_view_reads_column(st->cat, get(last, "A_Star") ? "*" : string_node(last));
        } else {
            view_reads(st, v);
        }
    }
}

static void check_view(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(n, "view"));
    lint_catalog_begin_view(st->cat, r.schema, r.name);
    view_reads(st, get(n, "query"));
}

static void check_create_as(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(get(n, "into"), "rel"));
    lint_catalog_add_table(st->cat, r.schema, r.name);
    if (get_is(n, "objtype", "OBJECT_MATVIEW")) {
        lint_catalog_begin_view(st->cat, r.schema, r.name);
        view_reads(st, get(n, "query"));
    }
}

/* ---- ALTER TABLE ------------------------------------------------------- */

typedef struct alter {
    lint_stmt *st;
    rel r;
    bool existing; /* not created by this run */
} alter;

static void view_column(alter *a, const char *col, const char *what)
{
    const char *view =
        col ? lint_catalog_view_using(a->st->cat, a->r.schema, a->r.name, col) : NULL;
    if (view)
        lint_emit(a->st, LINT_COLUMN_IN_VIEW, -1,
                  "view %s reads column %s of %s: %s fails (or, with CASCADE, drops the view); "
                  "drop or change the view first, in the same revision",
                  view, col, a->r.text, what);
}

static void alter_drop_column(alter *a, const lj_node *cmd)
{
    const char *col = get_str(cmd, "name");
    if (a->existing)
        lint_emit(a->st, LINT_DROP_COLUMN, -1,
                  "dropping column %s of %s deletes its data, and running code that still "
                  "reads or writes it fails; stop using it in the code first, then drop it in "
                  "a later revision",
                  col, a->r.text);
    view_column(a, col, "dropping it");
}

static void alter_column_type(alter *a, const lj_node *cmd)
{
    const lj_node *cd = get(cmd, "def");
    cd = get(cd, "ColumnDef");
    type_ref t = type_of(get(cd, "typeName"));
    const char *col = get_str(cmd, "name");
    char ty[96];
    type_text(&t, ty, sizeof(ty));
    view_column(a, col, "changing its type");
    if (!a->existing)
        return;
    if (is_lossy_target(&t) && lint_enabled(a->st, LINT_LOSSY_TYPE_CHANGE))
        lint_emit(a->st, LINT_LOSSY_TYPE_CHANGE, location(cd),
                  "changing column %s of %s to %s can cut or reject the values that do not "
                  "fit, and rewrites the table under an ACCESS EXCLUSIVE lock; add a new "
                  "column, backfill it in batches, and switch the code over",
                  col, a->r.text, ty);
    else
        lint_emit(a->st, LINT_ALTER_COLUMN_TYPE, location(cd),
                  "changing the type of column %s of %s to %s rewrites the table (and its "
                  "indexes) under an ACCESS EXCLUSIVE lock, unless the old type is binary "
                  "compatible; add a new column, backfill it in batches, and switch over",
                  col, a->r.text, ty);
}

static void alter_set_not_null(alter *a, const lj_node *cmd)
{
    const char *col = get_str(cmd, "name");
    if (a->existing && col &&
        !lint_catalog_has_not_null_check(a->st->cat, a->r.schema, a->r.name, col))
        lint_emit(a->st, LINT_SET_NOT_NULL, -1,
                  "SET NOT NULL scans all of %s under an ACCESS EXCLUSIVE lock; first ADD "
                  "CONSTRAINT ... CHECK (%s IS NOT NULL) NOT VALID and VALIDATE it (in a later "
                  "revision): SET NOT NULL then uses it and skips the scan",
                  a->r.text, col);
}

static void alter_add_column(alter *a, const lj_node *cmd)
{
    column_def(a->st, get(get(cmd, "def"), "ColumnDef"), &a->r, a->existing);
}

/* The column of CHECK (col IS NOT NULL), else NULL. */
static const char *not_null_check(const lj_node *con)
{
    const lj_node *test = get(get(con, "raw_expr"), "NullTest");
    const lj_node *fields = get(get(get(test, "arg"), "ColumnRef"), "fields");
    if (!get_is(test, "nulltesttype", "IS_NOT_NULL") || lj_size(fields) != 1)
        return NULL;
    return string_node(lj_at(fields, 0));
}

static void add_checked_constraint(alter *a, const lj_node *con, bool check)
{
    bool not_valid = get_flag(con, "skip_validation");
    const char *name = get_str(con, "conname");
    lint_catalog_add_constraint(a->st->cat, a->r.schema, a->r.name, name,
                                check ? not_null_check(con) : NULL, !not_valid, a->st->rev->serial);
    if (!check)
        references(a->st, con);
    if (not_valid || !a->existing)
        return;
    lint_emit(a->st, LINT_CONSTRAINT_NOT_VALID, location(con),
              "adding %s %s checks every row of %s while holding a lock that blocks %s; add it "
              "NOT VALID, then VALIDATE CONSTRAINT in a later revision",
              check ? "CHECK" : "FOREIGN KEY", name ? name : "", a->r.text,
              check ? "reads and writes" : "writes (on both tables)");
}

static void add_key(alter *a, const lj_node *con, const char *kind)
{
    if (!a->existing || get_str(con, "indexname"))
        return;
    if (strcmp(kind, "EXCLUDE") == 0)
        lint_emit(a->st, LINT_KEY_WITHOUT_INDEX, location(con),
                  "adding an EXCLUDE constraint builds its index under an ACCESS EXCLUSIVE "
                  "lock on %s, and has no concurrent form; run it when the table is small or "
                  "traffic can wait",
                  a->r.text);
    else
        lint_emit(a->st, LINT_KEY_WITHOUT_INDEX, location(con),
                  "adding a %s builds its index under an ACCESS EXCLUSIVE lock on %s; CREATE "
                  "UNIQUE INDEX CONCURRENTLY first (Transactional: no), then ADD CONSTRAINT ... "
                  "%s USING INDEX",
                  kind, a->r.text, kind);
}

static void alter_add_constraint(alter *a, const lj_node *cmd)
{
    const lj_node *con = get(get(cmd, "def"), "Constraint");
    const char *type = get_str(con, "contype");
    if (!type)
        return;
    if (strcmp(type, "CONSTR_FOREIGN") == 0 || strcmp(type, "CONSTR_CHECK") == 0)
        add_checked_constraint(a, con, strcmp(type, "CONSTR_CHECK") == 0);
    else if (strcmp(type, "CONSTR_PRIMARY") == 0)
        add_key(a, con, "PRIMARY KEY");
    else if (strcmp(type, "CONSTR_UNIQUE") == 0)
        add_key(a, con, "UNIQUE");
    else if (strcmp(type, "CONSTR_EXCLUSION") == 0)
        add_key(a, con, "EXCLUDE");
}

static void alter_validate(alter *a, const lj_node *cmd)
{
    const char *name = get_str(cmd, "name");
    unsigned serial = name ? lint_catalog_validate(a->st->cat, a->r.schema, a->r.name, name) : 0;
    if (serial == a->st->rev->serial && a->st->rev->transactional)
        lint_emit(a->st, LINT_VALIDATE_SAME_TX, -1,
                  "%s was added NOT VALID in this same transaction, so the lock taken to add "
                  "it is still held while VALIDATE scans %s; validate it in a later revision",
                  name, a->r.text);
}

static void alter_detach(alter *a, const lj_node *cmd)
{
    if (get_flag(get(get(cmd, "def"), "PartitionCmd"), "concurrent") && a->st->rev->transactional)
        lint_emit(a->st, LINT_CONCURRENTLY_IN_TX, -1,
                  "DETACH PARTITION CONCURRENTLY cannot run inside a transaction block, and "
                  "this revision runs in one; move it to a revision with 'Transactional: no'");
}

static const struct {
    const char *subtype;
    void (*check)(alter *a, const lj_node *cmd);
    bool strong; /* takes a lock that blocks reads or writes */
} alter_checks[] = {
    { "AT_DropColumn", alter_drop_column, true },
    { "AT_AlterColumnType", alter_column_type, true },
    { "AT_SetNotNull", alter_set_not_null, true },
    { "AT_AddColumn", alter_add_column, true },
    { "AT_AddConstraint", alter_add_constraint, true },
    { "AT_ValidateConstraint", alter_validate, false },
    { "AT_DetachPartition", alter_detach, false },
};

static bool alter_command(alter *a, const lj_node *cmd)
{
    const char *sub = get_str(cmd, "subtype");
    for (size_t k = 0; sub && k < sizeof(alter_checks) / sizeof(alter_checks[0]); k++)
        if (strcmp(sub, alter_checks[k].subtype) == 0) {
            alter_checks[k].check(a, cmd);
            return alter_checks[k].strong;
        }
    return true; /* most other forms take ACCESS EXCLUSIVE too */
}

static void check_alter_table(lint_stmt *st, const lj_node *n)
{
    if (!get_is(n, "objtype", "OBJECT_TABLE"))
        return;
    alter a = { st, range_var(get(n, "relation")), false };
    a.existing = !is_new(st, &a.r);
    bool strong = false;
    for (const lj_node *c = lj_first(get(n, "cmds")); c; c = lj_next(c))
        strong |= alter_command(&a, get(c, "AlterTableCmd"));
    if (strong && a.existing)
        strong_lock(st, "ALTER TABLE", a.r.text);
}

static void check_rename(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(n, "relation"));
    const char *to = get_str(n, "newname");
    if (get_is(n, "renameType", "OBJECT_TABLE")) {
        if (is_new(st, &r)) {
            lint_catalog_add_table(st->cat, r.schema, to);
            return;
        }
        lint_emit(st, LINT_RENAME_TABLE, -1,
                  "renaming %s to %s breaks running code that still uses the old name; deploy "
                  "code that reads both names (or leave a view named %s) before renaming",
                  r.text, to, r.name);
    } else if (get_is(n, "renameType", "OBJECT_COLUMN") &&
               get_is(n, "relationType", "OBJECT_TABLE") && !is_new(st, &r)) {
        lint_emit(st, LINT_RENAME_COLUMN, -1,
                  "renaming column %s of %s to %s breaks running code that still uses the old "
                  "name; add the new column, write both, backfill, switch reads, then drop the "
                  "old one",
                  get_str(n, "subname"), r.text, to);
    } else
        return;
    strong_lock(st, "ALTER TABLE ... RENAME", r.text);
}

/* ---- indexes, maintenance, locks --------------------------------------- */

static void concurrently_in_transaction(lint_stmt *st, const char *what)
{
    if (st->rev->transactional)
        lint_emit(st, LINT_CONCURRENTLY_IN_TX, -1,
                  "%s CONCURRENTLY cannot run inside a transaction block, and this revision "
                  "runs in one; move it to a revision of its own with 'Transactional: no'",
                  what);
}

static void check_index(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(n, "relation"));
    bool on_new = is_new(st, &r);
    const char *name = get_str(n, "idxname");
    if (name)
        lint_catalog_add_index(st->cat, r.schema, name, on_new);
    if (get_flag(n, "concurrent")) {
        concurrently_in_transaction(st, "CREATE INDEX");
        return;
    }
    if (on_new)
        return;
    lint_emit(st, LINT_CREATE_INDEX, -1,
              "CREATE INDEX on %s blocks writes to it until the index is built; use CREATE "
              "INDEX CONCURRENTLY in a revision with 'Transactional: no'",
              r.text);
    strong_lock(st, "CREATE INDEX", r.text);
}

static bool has_option(const lj_node *options, const char *name)
{
    for (const lj_node *o = lj_first(options); o; o = lj_next(o))
        if (get_is(get(o, "DefElem"), "defname", name))
            return true;
    return false;
}

static void check_reindex(lint_stmt *st, const lj_node *n)
{
    if (has_option(get(n, "params"), "concurrently")) {
        concurrently_in_transaction(st, "REINDEX");
        return;
    }
    rel r = range_var(get(n, "relation"));
    const char *kind = get_str(n, "kind");
    if (kind && strcmp(kind, "REINDEX_OBJECT_TABLE") == 0 && is_new(st, &r))
        return;
    if (kind && strcmp(kind, "REINDEX_OBJECT_INDEX") == 0 &&
        lint_catalog_index(st->cat, r.schema, r.name) == LINT_INDEX_ON_NEW)
        return;
    lint_emit(st, LINT_REINDEX, -1,
              "REINDEX blocks writes to the table, and reads that use the index, until it is "
              "rebuilt; use REINDEX ... CONCURRENTLY in a revision with 'Transactional: no'");
    strong_lock(st, "REINDEX", r.name ? r.text : "its tables");
}

/* The first relation of @rels (VacuumRelation or RangeVar nodes) that the
 * run did not create; NULL when there is none.  No relations at all means
 * every table of the database. */
static bool any_existing(lint_stmt *st, const lj_node *rels, const char *wrapper, rel *out)
{
    *out = range_var(NULL);
    snprintf(out->text, sizeof(out->text), "every table");
    if (lj_size(rels) == 0)
        return true;
    for (const lj_node *o = lj_first(rels); o; o = lj_next(o)) {
        const lj_node *rv = get(o, wrapper);
        rel r = range_var(strcmp(wrapper, "RangeVar") == 0 ? rv : get(rv, "relation"));
        if (!is_new(st, &r)) {
            *out = r;
            return true;
        }
    }
    return false;
}

static void check_vacuum(lint_stmt *st, const lj_node *n)
{
    rel r;
    if (!get_flag(n, "is_vacuumcmd"))
        return; /* ANALYZE runs anywhere */
    if (st->rev->transactional)
        lint_emit(st, LINT_VACUUM_IN_TX, -1,
                  "VACUUM cannot run inside a transaction block, and this revision runs in "
                  "one; move it to a revision with 'Transactional: no', or leave it to "
                  "autovacuum");
    if (!has_option(get(n, "options"), "full") ||
        !any_existing(st, get(n, "rels"), "VacuumRelation", &r))
        return;
    lint_emit(st, LINT_VACUUM_FULL, -1,
              "VACUUM FULL rewrites %s under an ACCESS EXCLUSIVE lock, blocking reads and "
              "writes until it ends; use plain VACUUM, or pg_repack to compact a live table",
              r.text);
    strong_lock(st, "VACUUM FULL", r.text);
}

static void check_cluster(lint_stmt *st, const lj_node *n)
{
    const lj_node *rv = get(n, "relation");
    rel r = range_var(rv);
    if (rv && is_new(st, &r))
        return;
    if (!rv)
        snprintf(r.text, sizeof(r.text), "every clustered table");
    lint_emit(st, LINT_CLUSTER, -1,
              "CLUSTER rewrites %s under an ACCESS EXCLUSIVE lock, blocking reads and writes "
              "until it ends; use pg_repack to reorder a live table",
              r.text);
    strong_lock(st, "CLUSTER", r.text);
}

static void check_lock(lint_stmt *st, const lj_node *n)
{
    static const char *const modes[] = {
        "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
        "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"
    };
    long long mode = lj_int(get(n, "mode"));
    rel r;
    /* Below SHARE a lock blocks neither reads nor writes. */
    if (mode < 5 || mode > 8 || !any_existing(st, get(n, "relations"), "RangeVar", &r))
        return;
    lint_emit(st, LINT_LOCK_TABLE, -1,
              "LOCK TABLE %s IN %s MODE blocks %s on it until the revision commits; let each "
              "statement take the lock it needs, and keep the revision short",
              r.text, modes[mode], mode == 8 ? "reads and writes" : "writes");
    strong_lock(st, "LOCK TABLE", r.text);
}

static void check_trigger(lint_stmt *st, const lj_node *n)
{
    rel r = range_var(get(n, "relation"));
    if (!is_new(st, &r))
        strong_lock(st, "CREATE TRIGGER", r.text);
}

/* ---- transactions ------------------------------------------------------ */

static void check_transaction(lint_stmt *st, const lj_node *n)
{
    static const struct {
        const char *kind, *sql;
    } kinds[] = {
        { "TRANS_STMT_BEGIN", "BEGIN" },
        { "TRANS_STMT_START", "START TRANSACTION" },
        { "TRANS_STMT_COMMIT", "COMMIT" },
        { "TRANS_STMT_ROLLBACK", "ROLLBACK" },
        { "TRANS_STMT_PREPARE", "PREPARE TRANSACTION" },
        { "TRANS_STMT_COMMIT_PREPARED", "COMMIT PREPARED" },
        { "TRANS_STMT_ROLLBACK_PREPARED", "ROLLBACK PREPARED" },
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (!get_is(n, "kind", kinds[i].kind))
            continue;
        if (st->rev->transactional)
            lint_emit(st, LINT_TRANSACTION_CONTROL, -1,
                      "%s inside a revision ends or nests the transaction the engine runs it "
                      "in, so a failure no longer rolls the whole revision back; remove it: "
                      "each revision already is one transaction",
                      kinds[i].sql);
        else
            lint_emit(st, LINT_TRANSACTION_CONTROL, -1,
                      "%s in a 'Transactional: no' revision opens or ends a transaction around "
                      "the engine's own bookkeeping between statements; remove it, or make the "
                      "revision transactional",
                      kinds[i].sql);
        return;
    }
}

/* ---- dispatch ---------------------------------------------------------- */

static const struct {
    const char *type;
    void (*check)(lint_stmt *st, const lj_node *node);
} checks[] = {
    { "AlterTableStmt", check_alter_table },
    { "CreateStmt", check_create },
    { "IndexStmt", check_index },
    { "DropStmt", check_drop },
    { "UpdateStmt", check_update },
    { "DeleteStmt", check_delete },
    { "VariableSetStmt", set_variable },
    { "RenameStmt", check_rename },
    { "TruncateStmt", check_truncate },
    { "ViewStmt", check_view },
    { "CreateTableAsStmt", check_create_as },
    { "TransactionStmt", check_transaction },
    { "VacuumStmt", check_vacuum },
    { "ReindexStmt", check_reindex },
    { "ClusterStmt", check_cluster },
    { "LockStmt", check_lock },
    { "CreateTrigStmt", check_trigger },
    { "DropdbStmt", check_dropdb },
    { "SelectStmt", check_select },
    { "InsertStmt", check_select },
};

#define N_CHECKS (sizeof(checks) / sizeof(checks[0]))

bool lint_statement_matters(const char *type, size_t len, const char *json)
{
    for (size_t i = 0; i < N_CHECKS; i++)
        if (strlen(checks[i].type) == len && memcmp(checks[i].type, type, len) == 0)
            /* SELECT and INSERT only matter for a DELETE or UPDATE in WITH. */
            return checks[i].check != check_select || strstr(json, "\"withClause\"");
    return false;
}

void lint_check_statement(lint_stmt *st, const char *type, const lj_node *node)
{
    for (size_t i = 0; i < N_CHECKS; i++)
        if (strcmp(checks[i].type, type) == 0) {
            checks[i].check(st, node);
            return;
        }
}
