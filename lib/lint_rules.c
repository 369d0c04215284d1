/*
 * lint_rules.c - the rule table and the checks, over libpg_query's parse
 * tree as typed C structs (PostgreSQL 15's nodes, see lint_tree.h).
 *
 * Each check looks at one statement, asks the catalog whether the table it
 * touches was created by this run (such a table has no traffic yet, so the
 * lock and rewrite rules leave it alone) and reports through lint_emit().
 * Findings point at the construct at fault when the parser gives its
 * position (a column, a type, a constraint), else at the statement.
 */
#include "lint_rules.h"
#include "txblock.h"

#include <ctype.h>
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

/* @n as its union member @member when it is a @KIND node, else NULL. */
#define NODE_AS(n, KIND, member)                                                                   \
    ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##KIND ? (n)->member : NULL)

/* A string field, NULL when empty: protobuf-c gives "" for a string the
 * parser left NULL (an unqualified name's schema, an unnamed constraint).
 * Fields the grammar always fills (a column's name) are read as they are. */
static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

static bool str_is(const char *s, const char *value)
{
    return s && strcmp(s, value) == 0;
}

/* The text of a String node, or NULL. */
static const char *string_node(const PgQuery__Node *n)
{
    const PgQuery__String *s = NODE_AS(n, STRING, string);
    return s ? opt(s->sval) : NULL;
}

/* The last element of a list of @n nodes, or NULL. */
static const PgQuery__Node *last(PgQuery__Node *const *v, size_t n)
{
    return n ? v[n - 1] : NULL;
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

/* From a RangeVar (NULL: none). */
static rel range_var(const PgQuery__RangeVar *rv)
{
    rel r = { rv ? opt(rv->schemaname) : NULL, rv ? opt(rv->relname) : NULL, rv ? rv->location : -1,
              "" };
    rel_text(&r);
    return r;
}

/* From a qualified name: a List node of String nodes (DROP's objects). */
static rel qualified_name(const PgQuery__Node *names)
{
    const PgQuery__List *l = NODE_AS(names, LIST, list);
    size_t n = l ? l->n_items : 0;
    rel r = { n >= 2 ? string_node(l->items[n - 2]) : NULL,
              n >= 1 ? string_node(l->items[n - 1]) : NULL, -1, "" };
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
    PgQuery__Node *const *typmods;
    size_t n_typmods;
    bool array;
    int location;
} type_ref;

static type_ref type_of(const PgQuery__TypeName *tn)
{
    static const PgQuery__TypeName none = PG_QUERY__TYPE_NAME__INIT;
    if (!tn)
        tn = &none;
    const char *first = tn->n_names ? string_node(tn->names[0]) : NULL;
    type_ref t = {
        string_node(last(tn->names, tn->n_names)),
        tn->n_names == 2 && first && strcmp(first, "pg_catalog") == 0,
        tn->typmods,
        tn->n_typmods,
        tn->n_array_bounds > 0,
        tn == &none ? -1 : tn->location,
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
    return t->n_typmods > 0;
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

/* The integer of an A_Const node holding one (a typmod, a SET value). */
static long long const_int(const PgQuery__AConst *c)
{
    return c && c->val_case == PG_QUERY__A__CONST__VAL_IVAL ? c->ival->ival : 0;
}

/* The name a person wrote for a type the grammar turned into its
 * pg_catalog name ("bigint" for pg_catalog.int8). */
static const char *sql_type_name(const type_ref *t)
{
    static const char *const names[][2] = {
        { "int2", "smallint" },
        { "int4", "integer" },
        { "int8", "bigint" },
        { "float4", "real" },
        { "float8", "double precision" },
        { "bool", "boolean" },
        { "bpchar", "char" },
        { "timestamptz", "timestamp with time zone" },
        { "timetz", "time with time zone" },
        { "varbit", "bit varying" },
    };
    if (t->catalog)
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(t->name, names[i][0]) == 0)
                return names[i][1];
    return t->name;
}

/* "varchar(20)" for messages. */
static void type_text(const type_ref *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s", sql_type_name(t));
    for (size_t i = 0; i < t->n_typmods; i++) {
        long long mod = const_int(NODE_AS(t->typmods[i], A_CONST, a_const));
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%lld", i == 0 ? "(" : ",", mod);
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

/*
 * A finding on the existing table @table that also takes a strong lock on
 * it (strong_lock() adds the lock_timeout finding): @message names the table
 * with its one %s.
 */
static void on_locked_table(lint_stmt *st, lint_rule rule, const char *message, const char *what,
                            const char *table)
{
    lint_emit(st, rule, -1, message, table);
    strong_lock(st, what, table);
}

/* Whether the lock_timeout value @value (a SET argument or set_config()'s
 * second one) is 0, "wait forever"; a value lint cannot read is not. */
static bool zero_timeout(const PgQuery__Node *value)
{
    const PgQuery__AConst *c = NODE_AS(value, A_CONST, a_const);
    if (!c)
        return false;
    const char *s = c->val_case == PG_QUERY__A__CONST__VAL_SVAL ? c->sval->sval : NULL;
    return s ? strtod(s, NULL) == 0 : const_int(c) == 0;
}

/*
 * A lock_timeout set by the revision: @zero puts back "wait forever", and a
 * transaction-local one (SET LOCAL, set_config(..., true)) ends with the
 * statement's own transaction in a 'Transactional: no' revision.
 */
static void lock_timeout_set(lint_stmt *st, bool zero, bool local)
{
    st->rev->lock_timeout_set = !zero && !(local && !st->rev->transactional);
}

static void set_variable(lint_stmt *st, const PgQuery__VariableSetStmt *n)
{
    if (!str_is(n->name, "lock_timeout") && n->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL)
        return;
    /* RESET (and RESET ALL) put back the default, "wait forever". */
    bool reset = n->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE;
    lock_timeout_set(st, reset || zero_timeout(n->n_args ? n->args[0] : NULL), n->is_local);
}

/* The text of a string constant, or NULL. */
static const char *const_string(const PgQuery__Node *n)
{
    const PgQuery__AConst *c = NODE_AS(n, A_CONST, a_const);
    return c && c->val_case == PG_QUERY__A__CONST__VAL_SVAL ? c->sval->sval : NULL;
}

/* A set_config('lock_timeout', value, is_local) call, SET's function form. */
typedef struct set_config {
    bool found, zero, local;
} set_config;

static lint_walk find_set_config(const ProtobufCMessage *m, void *payload)
{
    set_config *sc = payload;
    if (m->descriptor != &pg_query__func_call__descriptor)
        return LINT_WALK_INTO;
    const PgQuery__FuncCall *call = (const PgQuery__FuncCall *)m;
    const char *name = call->n_args == 3 ? const_string(call->args[0]) : NULL;
    if (!str_is(string_node(last(call->funcname, call->n_funcname)), "set_config") || !name ||
        strcasecmp(name, "lock_timeout") != 0)
        return LINT_WALK_INTO;
    const PgQuery__AConst *local = NODE_AS(call->args[2], A_CONST, a_const);
    sc->found = true;
    sc->zero = zero_timeout(call->args[1]);
    /* a non-constant is_local: taken as false, the session-wide case */
    sc->local =
        local && local->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL && local->boolval->boolval;
    return LINT_WALK_OVER;
}

/* SELECT set_config('lock_timeout', '5s', false) counts as SET lock_timeout;
 * the last call in the statement wins, as it would when it runs. */
static void check_set_config(lint_stmt *st, const PgQuery__Node *select)
{
    set_config sc = { false, false, false };
    lint_tree_walk(&select->base, find_set_config, &sc);
    if (sc.found)
        lock_timeout_set(st, sc.zero, sc.local);
}

/* ---- data loss --------------------------------------------------------- */

static void drop_tables(lint_stmt *st, const PgQuery__DropStmt *n)
{
    for (size_t i = 0; i < n->n_objects; i++) {
        rel r = qualified_name(n->objects[i]);
        if (is_new(st, &r))
            continue;
        on_locked_table(st, LINT_DROP_TABLE,
                        "DROP TABLE %s deletes the table and every row in it, and breaks running "
                        "code that still uses it; remove its use from the code first, back it "
                        "up, then drop it in a later revision",
                        "DROP TABLE", r.text);
    }
}

static void drop_indexes(lint_stmt *st, const PgQuery__DropStmt *n)
{
    if (n->concurrent) {
        if (st->rev->transactional)
            lint_emit(st, LINT_CONCURRENTLY_IN_TX, -1,
                      "DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this "
                      "revision runs in one; move it to a revision with 'Transactional: no'");
        return;
    }
    for (size_t i = 0; i < n->n_objects; i++) {
        rel r = qualified_name(n->objects[i]);
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

static void drop_views(lint_stmt *st, const PgQuery__DropStmt *n)
{
    for (size_t i = 0; i < n->n_objects; i++) {
        rel r = qualified_name(n->objects[i]);
        lint_catalog_drop_view(st->cat, r.schema, r.name);
    }
}

static void check_drop(lint_stmt *st, const PgQuery__DropStmt *n)
{
    switch (n->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        drop_tables(st, n);
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        drop_indexes(st, n);
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
    case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
        drop_views(st, n);
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        lint_emit(st, LINT_DROP_SCHEMA, -1,
                  "DROP SCHEMA %s deletes the schema, and with CASCADE every table and row in "
                  "it; move what is still needed, back it up, and drop it once nothing uses it",
                  n->n_objects ? string_node(n->objects[0]) : NULL);
        break;
    default:
        break;
    }
}

static void check_dropdb(lint_stmt *st, const PgQuery__DropdbStmt *n)
{
    lint_emit(st, LINT_DROP_DATABASE, -1,
              "DROP DATABASE %s deletes a whole database; a migration should never do that: "
              "drop it by hand, after a backup",
              n->dbname);
}

static void check_truncate(lint_stmt *st, const PgQuery__TruncateStmt *n)
{
    for (size_t i = 0; i < n->n_relations; i++) {
        rel r = range_var(NODE_AS(n->relations[i], RANGE_VAR, range_var));
        if (is_new(st, &r))
            continue;
        /* several tables: each finding at its table's name, to tell them apart */
        lint_emit(st, LINT_TRUNCATE, n->n_relations > 1 ? r.location : -1,
                  "TRUNCATE %s deletes every row, under an ACCESS EXCLUSIVE lock; if the rows "
                  "really must go, back them up and say why in a lint-ignore",
                  r.text);
        strong_lock(st, "TRUNCATE", r.text);
    }
}

/* What check_where() reads of a DELETE or an UPDATE. */
typedef struct modify {
    const PgQuery__RangeVar *relation;
    const PgQuery__Node *where;
    const PgQuery__WithClause *with;
} modify;

static void check_ctes(lint_stmt *st, const PgQuery__WithClause *with);

/*
 * DELETE or UPDATE @m (LINT_DELETE_WITHOUT_WHERE or _UPDATE_): @nested
 * when inside a WITH clause, where the relation is the best position.
 */
static void check_where(lint_stmt *st, modify m, lint_rule rule, bool nested)
{
    rel r = range_var(m.relation);
    bool every_row = !m.where && !is_new(st, &r);
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
    check_ctes(st, m.with);
}

static void check_delete(lint_stmt *st, const PgQuery__DeleteStmt *n, bool nested)
{
    modify m = { n->relation, n->where_clause, n->with_clause };
    check_where(st, m, LINT_DELETE_WITHOUT_WHERE, nested);
}

static void check_update(lint_stmt *st, const PgQuery__UpdateStmt *n, bool nested)
{
    modify m = { n->relation, n->where_clause, n->with_clause };
    check_where(st, m, LINT_UPDATE_WITHOUT_WHERE, nested);
}

/* Data-modifying statements in WITH clauses delete and update as well. */
static void check_ctes(lint_stmt *st, const PgQuery__WithClause *with)
{
    for (size_t i = 0; with && i < with->n_ctes; i++) {
        const PgQuery__CommonTableExpr *cte =
            NODE_AS(with->ctes[i], COMMON_TABLE_EXPR, common_table_expr);
        const PgQuery__Node *q = cte ? cte->ctequery : NULL;
        if (NODE_AS(q, DELETE_STMT, delete_stmt))
            check_delete(st, q->delete_stmt, true);
        else if (NODE_AS(q, UPDATE_STMT, update_stmt))
            check_update(st, q->update_stmt, true);
    }
}

/* ---- columns ----------------------------------------------------------- */

/* The column's constraint of type @contype, or NULL. */
static const PgQuery__Constraint *column_constraint(const PgQuery__ColumnDef *cd,
                                                    PgQuery__ConstrType contype)
{
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const PgQuery__Constraint *con = NODE_AS(cd->constraints[i], CONSTRAINT, constraint);
        if (con && con->contype == contype)
            return con;
    }
    return NULL;
}

/* The name of a function call that returns a new value per row. */
static lint_walk find_volatile(const ProtobufCMessage *m, void *payload)
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
    const char **found = payload;
    if (m->descriptor != &pg_query__func_call__descriptor)
        return LINT_WALK_INTO;
    const PgQuery__FuncCall *call = (const PgQuery__FuncCall *)m;
    const char *f = string_node(last(call->funcname, call->n_funcname));
    if (!f || !name_in(f, volatile_functions))
        return LINT_WALK_INTO; /* its arguments may call one */
    *found = f;
    return LINT_WALK_STOP;
}

/* The first call in @expr of a function that returns a new value per row. */
static const char *volatile_call(const PgQuery__Node *expr)
{
    const char *found = NULL;
    if (expr)
        lint_tree_walk(&expr->base, find_volatile, &found);
    return found;
}

/* Rules about a column's type, wherever a column is defined. */
static void column_type(lint_stmt *st, const PgQuery__ColumnDef *cd, const type_ref *t)
{
    const char *col = cd->colname;
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

static void integer_key(lint_stmt *st, const PgQuery__ColumnDef *cd, const type_ref *t)
{
    if (is_small_integer(t))
        lint_emit(st, LINT_INTEGER_PK, t->location,
                  "primary key %s is a 32-bit integer, which runs out after 2,147,483,647 "
                  "values, and widening it later rewrites the table and every table that "
                  "references it; use bigint",
                  cd->colname);
}

/* Why adding a column fills every row, and the way around it. */
typedef struct rewrite {
    const char *what; /* "gen_random_uuid", "an identity", ...; NULL: no rewrite */
    bool function;    /* what is a function's name */
    const char *instead;
} rewrite;

static rewrite rewrite_of(const PgQuery__ColumnDef *cd, const type_ref *t)
{
    const PgQuery__Constraint *def = column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
    const char *f = def ? volatile_call(def->raw_expr) : NULL;
    if (f)
        return (rewrite){ f, true,
                          "add it without the default, SET DEFAULT afterwards for new rows, and "
                          "backfill the existing rows in batches" };
    if (column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY))
        return (rewrite){ "an identity", false,
                          "add a plain bigint column, backfill it in batches, SET NOT NULL, then "
                          "ALTER COLUMN ... ADD GENERATED ALWAYS AS IDENTITY" };
    if (column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED))
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
static void added_column_cost(lint_stmt *st, const PgQuery__ColumnDef *cd, const type_ref *t,
                              const rel *r)
{
    const char *col = cd->colname;
    rewrite rw = rewrite_of(cd, t);
    int loc = cd->location;
    if (rw.what)
        lint_emit(st, LINT_VOLATILE_DEFAULT, loc,
                  "column %s gets %s%s value per row, so adding it rewrites %s under an ACCESS "
                  "EXCLUSIVE lock; %s",
                  col, rw.what, rw.function ? "(), a new" : "", r->text, rw.instead);
    bool not_null = column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) ||
                    column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
    if (not_null && !column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT) && !rw.what)
        lint_emit(st, LINT_REQUIRED_COLUMN, loc,
                  "column %s is NOT NULL without a default, so adding it fails on a table "
                  "with rows; give it a constant DEFAULT, or add it nullable, backfill, and "
                  "set NOT NULL later",
                  col);
}

/* Constraints written in the column definition of an added column. */
static void added_column_constraints(lint_stmt *st, const PgQuery__ColumnDef *cd, const rel *r)
{
    for (size_t i = 0; i < cd->n_constraints; i++) {
        const PgQuery__Constraint *con = NODE_AS(cd->constraints[i], CONSTRAINT, constraint);
        PgQuery__ConstrType type =
            con ? con->contype : PG_QUERY__CONSTR_TYPE__CONSTR_TYPE_UNDEFINED;
        bool check = type == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK;
        bool unique = type == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE;
        if (check || type == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
            lint_emit(st, LINT_CONSTRAINT_NOT_VALID, con->location,
                      "a %s on a new column of %s checks every row while the table is locked; "
                      "add the column first, then ADD CONSTRAINT ... NOT VALID and VALIDATE "
                      "CONSTRAINT in a later revision",
                      check ? "CHECK" : "FOREIGN KEY", r->text);
        else if (unique || type == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
            lint_emit(st, LINT_KEY_WITHOUT_INDEX, con->location,
                      "a %s column builds its index under an ACCESS EXCLUSIVE lock on %s; add "
                      "the column, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... "
                      "USING INDEX",
                      unique ? "UNIQUE" : "PRIMARY KEY", r->text);
    }
}

static void column_def(lint_stmt *st, const PgQuery__ColumnDef *cd, const rel *r, bool existing)
{
    type_ref t = type_of(cd->type_name);
    column_type(st, cd, &t);
    if (column_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY))
        integer_key(st, cd, &t);
    if (!existing)
        return;
    added_column_cost(st, cd, &t, r);
    added_column_constraints(st, cd, r);
}

/* ---- CREATE TABLE, views ----------------------------------------------- */

static const PgQuery__ColumnDef *find_column(const PgQuery__CreateStmt *n, const char *name)
{
    for (size_t i = 0; name && i < n->n_table_elts; i++) {
        const PgQuery__ColumnDef *cd = NODE_AS(n->table_elts[i], COLUMN_DEF, column_def);
        if (cd && str_is(cd->colname, name))
            return cd;
    }
    return NULL;
}

/* A foreign key to an existing table locks that table against writes. */
static void references(lint_stmt *st, const PgQuery__Constraint *con)
{
    if (!con || con->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
        return;
    rel pk = range_var(con->pktable);
    if (!is_new(st, &pk))
        strong_lock(st, "a FOREIGN KEY", pk.text);
}

static void table_constraint(lint_stmt *st, const PgQuery__CreateStmt *n,
                             const PgQuery__Constraint *con)
{
    references(st, con);
    if (con->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY || con->n_keys != 1)
        return;
    const PgQuery__ColumnDef *cd = find_column(n, string_node(con->keys[0]));
    if (cd) {
        type_ref t = type_of(cd->type_name);
        integer_key(st, cd, &t);
    }
}

/* CREATE TABLE ... PARTITION OF takes an ACCESS EXCLUSIVE lock on the
 * parent (ATTACH PARTITION would take a weaker one). */
static void partition_of(lint_stmt *st, const PgQuery__CreateStmt *n)
{
    if (!n->partbound || n->n_inh_relations != 1)
        return;
    rel parent = range_var(NODE_AS(n->inh_relations[0], RANGE_VAR, range_var));
    if (!is_new(st, &parent))
        strong_lock(st, "CREATE TABLE ... PARTITION OF", parent.text);
}

static void check_create(lint_stmt *st, const PgQuery__CreateStmt *n)
{
    rel r = range_var(n->relation);
    partition_of(st, n);
    for (size_t i = 0; i < n->n_table_elts; i++) {
        const PgQuery__Node *e = n->table_elts[i];
        const PgQuery__ColumnDef *cd = NODE_AS(e, COLUMN_DEF, column_def);
        if (cd) {
            column_def(st, cd, &r, false);
            for (size_t c = 0; c < cd->n_constraints; c++)
                references(st, NODE_AS(cd->constraints[c], CONSTRAINT, constraint));
        } else if (NODE_AS(e, CONSTRAINT, constraint)) {
            table_constraint(st, n, e->constraint);
        }
    }
    lint_catalog_add_table(st->cat, r.schema, r.name);
}

/* Records what a view's query reads: relations and column names. */
static lint_walk view_reads(const ProtobufCMessage *m, void *payload)
{
    lint_stmt *st = payload;
    if (m->descriptor == &pg_query__range_var__descriptor) {
        rel r = range_var((const PgQuery__RangeVar *)m);
        lint_catalog_view_reads_table(st->cat, r.schema, r.name);
    } else if (m->descriptor == &pg_query__column_ref__descriptor) {
        const PgQuery__ColumnRef *ref = (const PgQuery__ColumnRef *)m;
        const PgQuery__Node *field = last(ref->fields, ref->n_fields);
        lint_catalog_view_reads_column(st->cat,
                                       NODE_AS(field, A_STAR, a_star) ? "*" : string_node(field));
    } else {
        return LINT_WALK_INTO;
    }
    return LINT_WALK_OVER;
}

static void view(lint_stmt *st, const rel *r, const PgQuery__Node *query)
{
    lint_catalog_begin_view(st->cat, r->schema, r->name);
    if (query)
        lint_tree_walk(&query->base, view_reads, st);
}

static void check_view(lint_stmt *st, const PgQuery__ViewStmt *n)
{
    rel r = range_var(n->view);
    view(st, &r, n->query);
}

static void check_create_as(lint_stmt *st, const PgQuery__CreateTableAsStmt *n)
{
    rel r = range_var(n->into ? n->into->rel : NULL);
    lint_catalog_add_table(st->cat, r.schema, r.name);
    if (n->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
        view(st, &r, n->query);
}

/* ---- ALTER TABLE ------------------------------------------------------- */

typedef struct alter {
    lint_stmt *st;
    rel r;
    bool existing; /* not created by this run */
    int cmd_loc;   /* where the command being read starts; -1: not known */
} alter;

static void view_column(alter *a, const char *col, const char *what)
{
    const char *view =
        col ? lint_catalog_view_using(a->st->cat, a->r.schema, a->r.name, col) : NULL;
    if (view)
        lint_emit(a->st, LINT_COLUMN_IN_VIEW, a->cmd_loc,
                  "view %s reads column %s of %s: %s fails (or, with CASCADE, drops the view); "
                  "drop or change the view first, in the same revision",
                  view, col, a->r.text, what);
}

static void alter_drop_column(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const char *col = cmd->name;
    if (a->existing)
        lint_emit(a->st, LINT_DROP_COLUMN, a->cmd_loc,
                  "dropping column %s of %s deletes its data, and running code that still "
                  "reads or writes it fails; stop using it in the code first, then drop it in "
                  "a later revision",
                  col, a->r.text);
    view_column(a, col, "dropping it");
}

static void alter_column_type(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const PgQuery__ColumnDef *cd = NODE_AS(cmd->def, COLUMN_DEF, column_def);
    type_ref t = type_of(cd ? cd->type_name : NULL);
    const char *col = cmd->name;
    int loc = cd ? cd->location : -1;
    char ty[96];
    type_text(&t, ty, sizeof(ty));
    view_column(a, col, "changing its type");
    if (!a->existing)
        return;
    if (is_lossy_target(&t) && lint_enabled(a->st, LINT_LOSSY_TYPE_CHANGE))
        lint_emit(a->st, LINT_LOSSY_TYPE_CHANGE, loc,
                  "changing column %s of %s to %s can cut or reject the values that do not "
                  "fit, and rewrites the table under an ACCESS EXCLUSIVE lock; add a new "
                  "column, backfill it in batches, and switch the code over",
                  col, a->r.text, ty);
    else
        lint_emit(a->st, LINT_ALTER_COLUMN_TYPE, loc,
                  "changing the type of column %s of %s to %s rewrites the table (and its "
                  "indexes) under an ACCESS EXCLUSIVE lock, unless the old type is binary "
                  "compatible; add a new column, backfill it in batches, and switch over",
                  col, a->r.text, ty);
}

static void alter_set_not_null(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const char *col = cmd->name;
    if (a->existing && col &&
        !lint_catalog_has_not_null_check(a->st->cat, a->r.schema, a->r.name, col))
        lint_emit(a->st, LINT_SET_NOT_NULL, a->cmd_loc,
                  "SET NOT NULL scans all of %s under an ACCESS EXCLUSIVE lock; first ADD "
                  "CONSTRAINT ... CHECK (%s IS NOT NULL) NOT VALID and VALIDATE it (in a later "
                  "revision): SET NOT NULL then uses it and skips the scan",
                  a->r.text, col);
}

static void alter_add_column(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const PgQuery__ColumnDef *cd = NODE_AS(cmd->def, COLUMN_DEF, column_def);
    if (cd)
        column_def(a->st, cd, &a->r, a->existing);
}

/* The column of CHECK (col IS NOT NULL), else NULL. */
static const char *not_null_check(const PgQuery__Constraint *con)
{
    const PgQuery__NullTest *test = NODE_AS(con->raw_expr, NULL_TEST, null_test);
    const PgQuery__ColumnRef *ref = test ? NODE_AS(test->arg, COLUMN_REF, column_ref) : NULL;
    if (!ref || test->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || ref->n_fields != 1)
        return NULL;
    return string_node(ref->fields[0]);
}

static void add_checked_constraint(alter *a, const PgQuery__Constraint *con, bool check)
{
    bool not_valid = con->skip_validation;
    const char *name = opt(con->conname);
    lint_catalog_add_constraint(a->st->cat, a->r.schema, a->r.name, name,
                                check ? not_null_check(con) : NULL, !not_valid, a->st->rev->serial);
    if (!check)
        references(a->st, con);
    if (not_valid || !a->existing)
        return;
    lint_emit(a->st, LINT_CONSTRAINT_NOT_VALID, con->location,
              "adding %s %s checks every row of %s while holding a lock that blocks %s; add it "
              "NOT VALID, then VALIDATE CONSTRAINT in a later revision",
              check ? "CHECK" : "FOREIGN KEY", name ? name : "", a->r.text,
              check ? "reads and writes" : "writes (on both tables)");
}

static void add_key(alter *a, const PgQuery__Constraint *con, const char *kind)
{
    if (!a->existing || opt(con->indexname))
        return;
    if (strcmp(kind, "EXCLUDE") == 0)
        lint_emit(a->st, LINT_KEY_WITHOUT_INDEX, con->location,
                  "adding an EXCLUDE constraint builds its index under an ACCESS EXCLUSIVE "
                  "lock on %s, and has no concurrent form; run it when the table is small or "
                  "traffic can wait",
                  a->r.text);
    else
        lint_emit(a->st, LINT_KEY_WITHOUT_INDEX, con->location,
                  "adding a %s builds its index under an ACCESS EXCLUSIVE lock on %s; CREATE "
                  "UNIQUE INDEX CONCURRENTLY first (Transactional: no), then ADD CONSTRAINT ... "
                  "%s USING INDEX",
                  kind, a->r.text, kind);
}

static void alter_add_constraint(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const PgQuery__Constraint *con = NODE_AS(cmd->def, CONSTRAINT, constraint);
    switch (con ? con->contype : PG_QUERY__CONSTR_TYPE__CONSTR_TYPE_UNDEFINED) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        add_checked_constraint(a, con, false);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        add_checked_constraint(a, con, true);
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        add_key(a, con, "PRIMARY KEY");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        add_key(a, con, "UNIQUE");
        break;
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        add_key(a, con, "EXCLUDE");
        break;
    default:
        break;
    }
}

static void alter_validate(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const char *name = opt(cmd->name);
    unsigned serial = name ? lint_catalog_validate(a->st->cat, a->r.schema, a->r.name, name) : 0;
    if (serial == a->st->rev->serial && a->st->rev->transactional)
        lint_emit(a->st, LINT_VALIDATE_SAME_TX, a->cmd_loc,
                  "%s was added NOT VALID in this same transaction, so the lock taken to add "
                  "it is still held while VALIDATE scans %s; validate it in a later revision",
                  name, a->r.text);
}

static void alter_detach(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    const PgQuery__PartitionCmd *part = NODE_AS(cmd->def, PARTITION_CMD, partition_cmd);
    if (part && part->concurrent && a->st->rev->transactional)
        lint_emit(a->st, LINT_CONCURRENTLY_IN_TX, a->cmd_loc,
                  "DETACH PARTITION CONCURRENTLY cannot run inside a transaction block, and "
                  "this revision runs in one; move it to a revision with 'Transactional: no'");
}

static const struct {
    PgQuery__AlterTableType subtype;
    void (*check)(alter *a, const PgQuery__AlterTableCmd *cmd);
    bool strong; /* takes a lock that blocks reads or writes */
} alter_checks[] = {
    { PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, alter_drop_column, true },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType, alter_column_type, true },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, alter_set_not_null, true },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, alter_add_column, true },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, alter_add_constraint, true },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, alter_validate, false },
    { PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition, alter_detach, false },
};

static bool alter_command(alter *a, const PgQuery__AlterTableCmd *cmd)
{
    for (size_t k = 0; cmd && k < sizeof(alter_checks) / sizeof(alter_checks[0]); k++)
        if (cmd->subtype == alter_checks[k].subtype) {
            alter_checks[k].check(a, cmd);
            return alter_checks[k].strong;
        }
    return true; /* most other forms take ACCESS EXCLUSIVE too */
}

static void check_alter_table(lint_stmt *st, const PgQuery__AlterTableStmt *n)
{
    if (n->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        return;
    alter a = { st, range_var(n->relation), false, -1 };
    a.existing = !is_new(st, &a.r);
    /* out of memory here costs positions only: the statement's start */
    int *starts = n->n_cmds && n->relation ? calloc(n->n_cmds, sizeof(*starts)) : NULL;
    if (starts && lint_tree_alter_commands(st->text, st->len, n->relation->location, starts,
                                           n->n_cmds) != UM_OK) {
        free(starts);
        starts = NULL;
    }
    bool strong = false;
    for (size_t i = 0; i < n->n_cmds; i++) {
        a.cmd_loc = starts ? starts[i] : -1;
        strong |= alter_command(&a, NODE_AS(n->cmds[i], ALTER_TABLE_CMD, alter_table_cmd));
    }
    free(starts);
    if (strong && a.existing)
        strong_lock(st, "ALTER TABLE", a.r.text);
}

static void check_rename(lint_stmt *st, const PgQuery__RenameStmt *n)
{
    rel r = range_var(n->relation);
    const char *to = n->newname;
    if (n->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        if (is_new(st, &r)) {
            lint_catalog_add_table(st->cat, r.schema, to);
            return;
        }
        lint_emit(st, LINT_RENAME_TABLE, -1,
                  "renaming %s to %s breaks running code that still uses the old name; deploy "
                  "code that reads both names (or leave a view named %s) before renaming",
                  r.text, to, r.name);
    } else if (n->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
               n->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !is_new(st, &r)) {
        lint_emit(st, LINT_RENAME_COLUMN, -1,
                  "renaming column %s of %s to %s breaks running code that still uses the old "
                  "name; add the new column, write both, backfill, switch reads, then drop the "
                  "old one",
                  n->subname, r.text, to);
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

static void check_index(lint_stmt *st, const PgQuery__IndexStmt *n)
{
    rel r = range_var(n->relation);
    bool on_new = is_new(st, &r);
    const char *name = opt(n->idxname);
    if (name)
        lint_catalog_add_index(st->cat, r.schema, name, on_new);
    if (n->concurrent) {
        concurrently_in_transaction(st, "CREATE INDEX");
        return;
    }
    if (!on_new)
        on_locked_table(st, LINT_CREATE_INDEX,
                        "CREATE INDEX on %s blocks writes to it until the index is built; use "
                        "CREATE INDEX CONCURRENTLY in a revision with 'Transactional: no'",
                        "CREATE INDEX", r.text);
}

/* Whether the DefElem list @options holds one named @name. */
static bool has_option(PgQuery__Node *const *options, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const PgQuery__DefElem *d = NODE_AS(options[i], DEF_ELEM, def_elem);
        if (d && str_is(d->defname, name))
            return true;
    }
    return false;
}

static void check_reindex(lint_stmt *st, const PgQuery__ReindexStmt *n)
{
    if (has_option(n->params, n->n_params, "concurrently")) {
        concurrently_in_transaction(st, "REINDEX");
        return;
    }
    rel r = range_var(n->relation);
    if (n->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE && is_new(st, &r))
        return;
    if (n->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
        lint_catalog_index(st->cat, r.schema, r.name) == LINT_INDEX_ON_NEW)
        return;
    lint_emit(st, LINT_REINDEX, -1,
              "REINDEX blocks writes to the table, and reads that use the index, until it is "
              "rebuilt; use REINDEX ... CONCURRENTLY in a revision with 'Transactional: no'");
    strong_lock(st, "REINDEX", r.name ? r.text : "its tables");
}

/* The relation of a RangeVar or VacuumRelation node, or NULL. */
static const PgQuery__RangeVar *relation_of(const PgQuery__Node *n)
{
    const PgQuery__VacuumRelation *v = NODE_AS(n, VACUUM_RELATION, vacuum_relation);
    return v ? v->relation : NODE_AS(n, RANGE_VAR, range_var);
}

/* The first relation of @rels (VacuumRelation or RangeVar nodes) that the
 * run did not create; NULL when there is none.  No relations at all means
 * every table of the database. */
static bool any_existing(lint_stmt *st, PgQuery__Node *const *rels, size_t n, rel *out)
{
    *out = range_var(NULL);
    snprintf(out->text, sizeof(out->text), "every table");
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        rel r = range_var(relation_of(rels[i]));
        if (!is_new(st, &r)) {
            *out = r;
            return true;
        }
    }
    return false;
}

/* @what (VACUUM FULL, CLUSTER) rewrites @table; @instead says what to do. */
static void rewrite_table(lint_stmt *st, lint_rule rule, const char *what, const char *table,
                          const char *instead)
{
    lint_emit(st, rule, -1,
              "%s rewrites %s under an ACCESS EXCLUSIVE lock, blocking reads and writes until it "
              "ends; %s",
              what, table, instead);
    strong_lock(st, what, table);
}

static void check_vacuum(lint_stmt *st, const PgQuery__VacuumStmt *n)
{
    rel r;
    if (!n->is_vacuumcmd)
        return; /* ANALYZE runs anywhere */
    if (st->rev->transactional)
        lint_emit(st, LINT_VACUUM_IN_TX, -1,
                  "VACUUM cannot run inside a transaction block, and this revision runs in "
                  "one; move it to a revision with 'Transactional: no', or leave it to "
                  "autovacuum");
    if (!has_option(n->options, n->n_options, "full") || !any_existing(st, n->rels, n->n_rels, &r))
        return;
    rewrite_table(st, LINT_VACUUM_FULL, "VACUUM FULL", r.text,
                  "use plain VACUUM, or pg_repack to compact a live table");
}

static void check_cluster(lint_stmt *st, const PgQuery__ClusterStmt *n)
{
    rel r = range_var(n->relation);
    if (n->relation && is_new(st, &r))
        return;
    if (!n->relation)
        snprintf(r.text, sizeof(r.text), "every clustered table");
    rewrite_table(st, LINT_CLUSTER, "CLUSTER", r.text, "use pg_repack to reorder a live table");
}

static void check_lock(lint_stmt *st, const PgQuery__LockStmt *n)
{
    static const char *const modes[] = {
        "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
        "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"
    };
    int mode = n->mode;
    rel r;
    /* Below SHARE a lock blocks neither reads nor writes. */
    if (mode < 5 || mode > 8 || !any_existing(st, n->relations, n->n_relations, &r))
        return;
    lint_emit(st, LINT_LOCK_TABLE, -1,
              "LOCK TABLE %s IN %s MODE blocks %s on it until the revision commits; let each "
              "statement take the lock it needs, and keep the revision short",
              r.text, modes[mode], mode == 8 ? "reads and writes" : "writes");
    strong_lock(st, "LOCK TABLE", r.text);
}

static void check_trigger(lint_stmt *st, const PgQuery__CreateTrigStmt *n)
{
    rel r = range_var(n->relation);
    if (!is_new(st, &r))
        strong_lock(st, "CREATE TRIGGER", r.text);
}

/* ---- transactions ------------------------------------------------------ */

static void check_transaction(lint_stmt *st, const PgQuery__TransactionStmt *n)
{
    const char *sql = txblock_transaction_word(n->kind);
    if (!sql)
        return;
    if (st->rev->transactional)
        lint_emit(st, LINT_TRANSACTION_CONTROL, -1,
                  "%s inside a revision ends or nests the transaction the engine runs it "
                  "in, so a failure no longer rolls the whole revision back; remove it: "
                  "each revision already is one transaction",
                  sql);
    else
        lint_emit(st, LINT_TRANSACTION_CONTROL, -1,
                  "%s in a 'Transactional: no' revision opens or ends a transaction around "
                  "the engine's own bookkeeping between statements; remove it, or make the "
                  "revision transactional",
                  sql);
}

/* ---- dispatch ---------------------------------------------------------- */

/* The word of letters at *@p, lower-cased into @buf (empty when it does
 * not fit); *@p moves past it and the white space after it. */
static const char *keyword(const char **p, char *buf, size_t size)
{
    const char *s = *p;
    size_t len = 0;
    while (isalpha((unsigned char)s[len]))
        len++;
    size_t n = len < size ? len : 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    for (s += len; isspace((unsigned char)*s); s++)
        ;
    *p = s;
    return buf;
}

/* Whether @len bytes at @s hold @word, in any case. */
static bool mentions(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(s + i, word, n) == 0)
            return true;
    return false;
}

bool lint_statement_matters(const char *sql, size_t len)
{
    /* Each parses into a node no check above reads: a SELECT or an INSERT
     * matters only when a WITH clause comes first (or, for a SELECT, when
     * it calls set_config), and ANALYZE is the VacuumStmt check_vacuum()
     * leaves alone. */
    static const char *const unread[] = { "insert", "comment", "grant",   "revoke",  "copy",
                                          "call",   "values",  "analyze", "analyse", "notify",
                                          "show",   "explain", NULL };
    static const char *const unread_created[] = { "function", "procedure", "type", "extension",
                                                  "sequence", "domain",    NULL };
    char word[16];
    const char *p = sql;
    if (strcmp(keyword(&p, word, sizeof(word)), "select") == 0)
        return mentions(sql, len, "set_config");
    if (name_in(word, unread))
        return false;
    if (strcmp(word, "create") != 0)
        return true;
    if (strcmp(keyword(&p, word, sizeof(word)), "or") == 0 &&
        strcmp(keyword(&p, word, sizeof(word)), "replace") == 0)
        keyword(&p, word, sizeof(word));
    return !name_in(word, unread_created);
}

void lint_check_statement(lint_stmt *st, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        check_alter_table(st, n->alter_table_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        check_create(st, n->create_stmt);
        break;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        check_index(st, n->index_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        check_drop(st, n->drop_stmt);
        break;
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        check_update(st, n->update_stmt, false);
        break;
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        check_delete(st, n->delete_stmt, false);
        break;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        set_variable(st, n->variable_set_stmt);
        break;
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        check_rename(st, n->rename_stmt);
        break;
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        check_truncate(st, n->truncate_stmt);
        break;
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        check_view(st, n->view_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        check_create_as(st, n->create_table_as_stmt);
        break;
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        check_transaction(st, n->transaction_stmt);
        break;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        check_vacuum(st, n->vacuum_stmt);
        break;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        check_reindex(st, n->reindex_stmt);
        break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        check_cluster(st, n->cluster_stmt);
        break;
    case PG_QUERY__NODE__NODE_LOCK_STMT:
        check_lock(st, n->lock_stmt);
        break;
    case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
        check_trigger(st, n->create_trig_stmt);
        break;
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
        check_dropdb(st, n->dropdb_stmt);
        break;
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        check_ctes(st, n->select_stmt->with_clause);
        check_set_config(st, n);
        break;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        check_ctes(st, n->insert_stmt->with_clause);
        break;
    default:
        break;
    }
}
