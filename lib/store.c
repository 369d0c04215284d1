/*
 * store.c - bookkeeping tables and every statement on them (the migration
 * lock and its table are lock.c's).
 */
#include "store.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "pg.h"
#include "util.h"

/*
 * What the store keeps between calls: the quoted table names (quoting
 * needs a connection), the host recorded with each step, and what it
 * prepared on the server session, keyed by its generation
 * (pg_generation): a new session has none of it.
 */
struct store_session {
    char *version_table; /* quoted and schema-qualified */
    char *applied_table;
    char *history_table;
    char host[256];                   /* this machine, recorded with each step */
    unsigned long book_generation;    /* the bookkeeping statements are prepared; 0: no */
    char *summary_sql;                /* the health summary's query */
    unsigned long summary_generation; /* it is prepared (owned connections); 0: no */
};

char *store_qualified_name(um_ctx *ctx, const char *suffix)
{
    strbuf sb = STRBUF_INIT;
    strbuf table = STRBUF_INIT;
    char *name = NULL;

    sb_printf(&table, "%s%s", ctx->cfg.version_table, suffix);
    if (sb_str(&table) && pg_append_ident(ctx, &sb, ctx->cfg.version_table_schema)) {
        sb_putc(&sb, '.');
        if (pg_append_ident(ctx, &sb, sb_str(&table)))
            name = sb_detach(&sb);
    }
    sb_free(&table);
    sb_free(&sb);
    return name;
}

static bool summary_prepared(const um_ctx *ctx)
{
    return ctx->store->summary_generation == pg_generation(ctx) && pg_connected(ctx);
}

/* lock_mode = table: the connection may go through a pooler that sends
 * each transaction to another server session, where a statement prepared
 * in an earlier one is missing (or one of another client's is there). */
static bool book_unprepared(const um_ctx *ctx)
{
    return ctx->cfg.lock_mode == CONFIG_LOCK_TABLE;
}

void store_session_free(um_ctx *ctx)
{
    struct store_session *st = ctx->store;
    if (!st)
        return;
    free(st->version_table);
    free(st->applied_table);
    free(st->history_table);
    free(st->summary_sql);
    free(st);
    ctx->store = NULL;
}

static int create_session(um_ctx *ctx)
{
    struct store_session *st = calloc(1, sizeof(*st));
    if (!st)
        return err_nomem(&ctx->err);
    if (gethostname(st->host, sizeof(st->host) - 1) != 0)
        strcpy(st->host, "unknown");
    st->version_table = store_qualified_name(ctx, "");
    st->applied_table = store_qualified_name(ctx, "_applied");
    st->history_table = store_qualified_name(ctx, "_history");
    ctx->store = st;
    if (st->version_table && st->applied_table && st->history_table)
        return UM_OK;
    store_session_free(ctx);
    return err_code_or_nomem(&ctx->err);
}

int store_names(um_ctx *ctx)
{
    return ctx->store ? UM_OK : create_session(ctx);
}

const char *store_host(const um_ctx *ctx)
{
    return ctx->store->host;
}

/* Connects and builds the quoted table names once. */
int store_connect(um_ctx *ctx)
{
    int rc = pg_ensure_connected(ctx);
    return rc ? rc : store_names(ctx);
}

/* ---- state ---------------------------------------------------------- */

void store_state_free(store_state *st)
{
    pg_rows_free(st->rows);
    free(st->heads);
    free(st->applied);
    free(st->dates);
    memset(st, 0, sizeof(*st));
}

bool store_is_head(const store_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_heads; i++)
        if (strcmp(st->heads[i], id) == 0)
            return true;
    return false;
}

bool store_row_unfinished(const um_applied *a)
{
    return a->state && strcmp(a->state, "applied") != 0;
}

/*
 * The five columns a history row carries about the run that wrote it,
 * from column @first on (text rows): duration_ms, applied_by, host,
 * application_name, tool_version.
 */
static void read_run_columns(const pg_rows *rows, size_t row, int first, double *duration_ms,
                             const char **applied_by, const char **host,
                             const char **application_name, const char **tool_version)
{
    const char *dur = pg_rows_value(rows, row, first);
    *duration_ms = dur ? strtod(dur, NULL) : 0;
    *applied_by = pg_rows_value(rows, row, first + 1);
    *host = pg_rows_value(rows, row, first + 2);
    *application_name = pg_rows_value(rows, row, first + 3);
    *tool_version = pg_rows_value(rows, row, first + 4);
}

/* "2026-11-30T12:00:00.123456Z" and its NUL. */
#define DATE_SIZE 28

/* Writes @v as @n decimal digits, zero-padded, at @p; returns past them. */
static char *put_digits(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/*
 * The civil date of @days since 1970-01-01 (proleptic Gregorian), after
 * Howard Hinnant's days_from_civil inverse: eras of 400 years, years
 * starting in March so that the leap day comes last.
 */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* @us, microseconds since 1970 in UTC, written as ISO 8601.  By hand:
 * a state of thousands of rows formats as many dates, and snprintf(),
 * then gmtime_r() (it takes the time zone lock), showed in the profile of
 * a cold status. */
static void format_usec(int64_t us, char out[DATE_SIZE])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    int64_t days = sec / 86400, in_day = sec % 86400, year;
    if (in_day < 0) {
        in_day += 86400;
        days--;
    }
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999) {
        strcpy(out, "?");
        return;
    }
    char *p = put_digits(out, (long)year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, (long)(in_day / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (long)(in_day / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (long)(in_day % 60), 2);
    *p++ = '.';
    p = put_digits(p, (long)frac, 6);
    *p++ = 'Z';
    *p = '\0';
}

/* The state query's columns (append_state_sql); the details come last,
 * and only in a detailed state. */
enum {
    COL_KIND,
    COL_REVISION,
    COL_CHECKSUM,
    COL_APPLIED_AT,
    COL_STATE,
    COL_STATEMENTS_DONE,
    COL_DURATION_MS,
    COL_APPLIED_BY,
    COL_HOST,
    COL_APPLICATION_NAME,
    COL_TOOL_VERSION
};

/* A row of the state query (query_state: binary format). */
static void read_applied_row(const pg_rows *rows, size_t row, bool detailed, um_applied *a,
                             char *date)
{
    a->revision = pg_rows_value(rows, row, COL_REVISION);
    a->checksum = pg_rows_value(rows, row, COL_CHECKSUM);
    format_usec(pg_rows_timestamptz(rows, row, COL_APPLIED_AT), date);
    a->applied_at = date;
    a->state = pg_rows_value(rows, row, COL_STATE);
    a->statements_done = pg_rows_int4(rows, row, COL_STATEMENTS_DONE);
    if (!detailed)
        return;
    a->duration_ms = pg_rows_float8(rows, row, COL_DURATION_MS);
    a->applied_by = pg_rows_value(rows, row, COL_APPLIED_BY);
    a->host = pg_rows_value(rows, row, COL_HOST);
    a->application_name = pg_rows_value(rows, row, COL_APPLICATION_NAME);
    a->tool_version = pg_rows_value(rows, row, COL_TOOL_VERSION);
}

static int cmp_heads(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Oldest first, then by id; the dates are fixed-width ISO 8601 in UTC, in
 * the order of the times they stand for. */
static int cmp_applied(const void *pa, const void *pb)
{
    const um_applied *a = pa, *b = pb;
    int c = strcmp(a->applied_at, b->applied_at);
    return c ? c : strcmp(a->revision, b->revision);
}

static bool applied_in_order(const um_applied *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_applied(&v[i - 1], &v[i]) > 0)
            return false;
    return true;
}

/*
 * Points the state into @rows, which it then owns.  The rows come in the
 * table's order and are sorted here: at 10,000 rows the server's sort of
 * the wide rows took 8-12 ms of a cold status, this one well under 1 ms
 * (the rows were appended in the order they were applied, so a check
 * usually finds them sorted already).
 */
static int fill_state(um_ctx *ctx, pg_rows *rows, store_state *out)
{
    size_t n = pg_rows_count(rows);
    out->rows = rows;
    out->heads = util_calloc(n, sizeof(*out->heads));
    out->applied = util_calloc(n, sizeof(*out->applied));
    out->dates = util_calloc(n, DATE_SIZE);
    if (!out->heads || !out->applied || !out->dates)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n; i++) {
        int kind = pg_rows_int4(rows, i, COL_KIND);
        if (kind == 0) {
            out->heads[out->n_heads++] = pg_rows_value(rows, i, COL_REVISION);
        } else if (kind == 2) {
            out->last_revision = pg_rows_value(rows, i, COL_REVISION);
            out->last_state = pg_rows_value(rows, i, COL_STATE);
        } else {
            read_applied_row(rows, i, out->detailed, &out->applied[out->n_applied],
                             out->dates + out->n_applied * DATE_SIZE);
            out->n_applied++;
        }
    }
    qsort(out->heads, out->n_heads, sizeof(*out->heads), cmp_heads);
    if (!applied_in_order(out->applied, out->n_applied))
        qsort(out->applied, out->n_applied, sizeof(*out->applied), cmp_applied);
    return UM_OK;
}

static bool is_undefined_table(int rc, const pg_failure *fail)
{
    return rc == UM_ESQL && fail->sqlstate && strcmp(fail->sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0;
}

/*
 * A failure on the bookkeeping tables.  One the role's rights or the
 * schema cause (42501 insufficient privilege, 25006 read-only) is no
 * revision's fault: UM_EBOOKKEEPING, naming the schema to fix.
 */
static int store_failed(um_ctx *ctx, const pg_failure *f, const char *what)
{
    int rc = pg_failure_to_error(ctx, f, NULL, 0, NULL, what);
    if (rc != UM_ESQL || !f->sqlstate ||
        (strcmp(f->sqlstate, SQLSTATE_NO_PRIVILEGE) != 0 &&
         strcmp(f->sqlstate, SQLSTATE_READ_ONLY) != 0))
        return rc;
    rc = ctx_error(ctx, UM_EBOOKKEEPING, NULL, 0, NULL,
                   "%s: %s (SQLSTATE %s): this role cannot keep the bookkeeping tables in"
                   " schema \"%s\" (version_table_schema); choose one where it may create"
                   " and write tables",
                   what, f->message ? f->message : "permission denied", f->sqlstate,
                   ctx->cfg.version_table_schema);
    err_set_server(&ctx->err, f->sqlstate, f->detail, f->hint);
    return rc;
}

/* What the history's direction column accepts. */
#define HISTORY_DIRECTIONS "'up', 'down', 'stamp', 'restore', 'repair'"

/* A column of a bookkeeping table, as it is created. */
typedef struct book_column {
    const char *name;
    const char *definition;
    char category;    /* its type's pg_type.typcategory: S string, D date, N number */
    bool added_later; /* a table of an earlier version lacks it (store_upgrade_tables) */
} book_column;

static const book_column version_columns[] = {
    { "version_num", "varchar(32) NOT NULL", 'S', false },
};

static const book_column applied_columns[] = {
    { "revision", "varchar(32) PRIMARY KEY", 'S', false },
    { "checksum", "text NOT NULL", 'S', false },
    { "applied_at", "timestamptz NOT NULL DEFAULT clock_timestamp()", 'D', false },
    { "duration_ms", "double precision NOT NULL DEFAULT 0", 'N', false },
    { "applied_by", "text NOT NULL DEFAULT current_user", 'S', false },
    { "host", "text", 'S', false },
    { "application_name", "text", 'S', false },
    { "tool_version", "text NOT NULL", 'S', false },
    { "state", "text NOT NULL CHECK (state IN ('applied', 'in_progress', 'failed'))", 'S', false },
    { "statements_done", "integer NOT NULL DEFAULT 0", 'N', true },
};

static const book_column history_columns[] = {
    { "id", "bigserial PRIMARY KEY", 'N', false },
    { "revision", "varchar(32) NOT NULL", 'S', false },
    { "direction", "text NOT NULL CHECK (direction IN (" HISTORY_DIRECTIONS "))", 'S', false },
    { "state", "text NOT NULL CHECK (state IN ('ok', 'failed', 'cancelled'))", 'S', false },
    { "started_at", "timestamptz NOT NULL DEFAULT statement_timestamp()", 'D', false },
    { "duration_ms", "double precision NOT NULL DEFAULT 0", 'N', false },
    { "applied_by", "text NOT NULL DEFAULT current_user", 'S', false },
    { "host", "text", 'S', false },
    { "application_name", "text", 'S', false },
    { "tool_version", "text NOT NULL", 'S', false },
    { "checksum", "text", 'S', false },
    { "error", "text", 'S', false },
};

#define N_COLUMNS(v) (sizeof(v) / sizeof((v)[0]))

/* "{a,b}" and "{S,D}": the columns of @cols that every version's table
 * has, and their types' categories. */
static void append_shape(strbuf *names, strbuf *categories, const book_column *cols, size_t n)
{
    const char *sep = "";
    sb_putc(names, '{');
    sb_putc(categories, '{');
    for (size_t i = 0; i < n; i++) {
        if (!cols[i].added_later) {
            sb_printf(names, "%s%s", sep, cols[i].name);
            sb_printf(categories, "%s%c", sep, cols[i].category);
            sep = ",";
        }
    }
    sb_putc(names, '}');
    sb_putc(categories, '}');
}

/*
 * The first way in which an object by a bookkeeping table's name is not
 * one ("n | name | what"): not a table; a column missing, or of another
 * kind of type; a NOT NULL column of its own the engine would not fill;
 * no unique key where the engine's upserts need one.  Each table by
 * those names that exists is looked at; none at all is no problem.
 */
#define SHAPE_SQL                                                                                  \
    "WITH t(n, name, cols, cats, keycol) AS (VALUES"                                               \
    " (1, $1, $2::text[], $3::text[], 'version_num'), (2, $4, $5::text[], $6::text[], "            \
    "'revision'),"                                                                                 \
    " (3, $7, $8::text[], $9::text[], NULL)),"                                                     \
    " r AS (SELECT t.*, c.oid AS rel, c.relkind IN ('r', 'p') AS is_table"                         \
    "  FROM t JOIN pg_class c ON c.oid = to_regclass(t.name))"                                     \
    " SELECT n, name, 'it is not a table' FROM r WHERE NOT is_table"                               \
    " UNION ALL SELECT n, name, 'it has no column ' || u.col || CASE WHEN EXISTS (SELECT FROM"     \
    "  pg_attribute a WHERE a.attrelid = r.rel AND a.attname = u.col AND NOT a.attisdropped)"      \
    "  THEN ' of the kind of type the engine keeps there' ELSE '' END"                             \
    "  FROM r, unnest(r.cols, r.cats) u(col, cat) WHERE is_table AND NOT EXISTS (SELECT FROM"      \
    "  pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid WHERE a.attrelid = r.rel"             \
    "  AND a.attname = u.col AND NOT a.attisdropped AND ty.typcategory = u.cat::\"char\")"         \
    " UNION ALL SELECT n, name, 'its column ' || a.attname || ' is NOT NULL without a default,"    \
    " which the engine would not fill' FROM r JOIN pg_attribute a ON a.attrelid = r.rel"           \
    "  WHERE is_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull"                    \
    "  AND NOT a.atthasdef AND a.attname <> ALL (r.cols)"                                          \
    " UNION ALL SELECT n, name, 'it has no primary key or unique index on ' || keycol FROM r"      \
    "  WHERE is_table AND keycol IS NOT NULL AND NOT EXISTS (SELECT FROM pg_index i"               \
    "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"                  \
    "  WHERE i.indrelid = r.rel AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL"     \
    "  AND a.attname = r.keycol)"                                                                  \
    " ORDER BY 1 LIMIT 1"

/*
 * An object of the user's with a bookkeeping table's name (an
 * application's own history table, say) must not be taken for one: the
 * engine would make the others beside it and fail at its first record,
 * or fail to read it, and blame a revision.  UM_EBOOKKEEPING naming it and
 * what is wrong; UM_OK when each table by those names is of the shape the
 * engine uses.
 */
static int check_foreign_tables(um_ctx *ctx)
{
    const struct store_session *st = ctx->store;
    strbuf cols[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
    strbuf cats[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
    append_shape(&cols[0], &cats[0], version_columns, N_COLUMNS(version_columns));
    append_shape(&cols[1], &cats[1], applied_columns, N_COLUMNS(applied_columns));
    append_shape(&cols[2], &cats[2], history_columns, N_COLUMNS(history_columns));
    const char *params[9] = { st->version_table, sb_str(&cols[0]), sb_str(&cats[0]),
                              st->applied_table, sb_str(&cols[1]), sb_str(&cats[1]),
                              st->history_table, sb_str(&cols[2]), sb_str(&cats[2]) };
    bool nomem = false;
    for (int i = 0; i < 9; i++)
        nomem |= !params[i];
    pg_rows *rows = NULL;
    int rc = nomem ? err_nomem(&ctx->err) : pg_query(ctx, SHAPE_SQL, 9, params, &rows, NULL);
    if (!rc && pg_rows_count(rows) == 1)
        rc = ctx_error(ctx, UM_EBOOKKEEPING, NULL, 0, NULL,
                       "%s is not ultramigrate's bookkeeping table: %s (an object of your own by"
                       " that name?); it was left as it is and nothing was changed: rename it, or"
                       " give the bookkeeping tables other names with version_table (or"
                       " version_table_schema) in the configuration",
                       pg_rows_value(rows, 0, 1), pg_rows_value(rows, 0, 2));
    pg_rows_free(rows);
    for (int i = 0; i < 3; i++) {
        sb_free(&cols[i]);
        sb_free(&cats[i]);
    }
    return rc;
}

int store_check_tables(um_ctx *ctx)
{
    int rc = store_connect(ctx);
    return rc ? rc : check_foreign_tables(ctx);
}

/* A read of the bookkeeping tables that failed on a column, a type or an
 * operator: a table of the user's by that name says it better. */
static int read_failed(um_ctx *ctx, const pg_failure *f, const char *what)
{
    bool shape = f->sqlstate && (strcmp(f->sqlstate, SQLSTATE_UNDEFINED_COLUMN) == 0 ||
                                 strcmp(f->sqlstate, SQLSTATE_DATATYPE_MISMATCH) == 0 ||
                                 strcmp(f->sqlstate, SQLSTATE_UNDEFINED_FUNCTION) == 0);
    int rc = shape ? check_foreign_tables(ctx) : UM_OK;
    return rc == UM_EBOOKKEEPING ? rc : store_failed(ctx, f, what);
}

/*
 * The bookkeeping tables are missing: never migrated (*rows NULL), or a
 * version table without the others, that is a database another tool
 * (Alembic) managed, whose rows @fmt reads so that its state shows and the
 * first run that writes adopts it; in binary format with @binary.
 */
static int read_version_rows(um_ctx *ctx, const char *fmt, bool binary, pg_rows **rows)
{
    strbuf sql = STRBUF_INIT;
    pg_failure fail = { 0 };
    sb_printf(&sql, fmt, ctx->store->version_table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    *rows = NULL;
    int rc = binary ? pg_query_binary(ctx, sb_str(&sql), rows, &fail)
                    : pg_query(ctx, sb_str(&sql), 0, NULL, rows, &fail);
    sb_free(&sql);
    if (is_undefined_table(rc, &fail))
        rc = UM_OK;
    else if (rc)
        rc = read_failed(ctx, &fail, "cannot read the version table");
    pg_failure_clear(&fail);
    return rc;
}

/*
 * The state's query; @done is the statements_done column, or "0" for an
 * applied table made before it existed.  Every status, health check and
 * run starts with it, on a new backend, so the rows come in binary format
 * (pg_query_binary: the server formats no time or number) and unsorted
 * (fill_state sorts them, ids bytewise, not by the database's collation).
 * Only a detailed state has the columns that say who applied each
 * revision where and how long it took: at 10,000 applied revisions they
 * were half of what the server sent (7.8 against 3.9 ms for the query on
 * a local socket), and only um_status() shows them.
 */
static void append_state_sql(um_ctx *ctx, strbuf *sql, const char *done, store_detail detail)
{
    bool detailed = detail == STORE_DETAILED;
    sb_printf(sql,
              "SELECT 0, version_num COLLATE \"C\", NULL, NULL::timestamptz, NULL, NULL::int%s"
              " FROM %s"
              " UNION ALL"
              " SELECT 1, revision COLLATE \"C\", checksum, applied_at, state, %s%s FROM %s"
              " UNION ALL"
              " (SELECT 2, revision COLLATE \"C\", NULL, NULL, state, NULL%s FROM %s"
              " ORDER BY id DESC LIMIT 1)",
              detailed ? ", NULL::float8, NULL, NULL, NULL, NULL" : "", ctx->store->version_table,
              done,
              detailed ? ", duration_ms, applied_by, host, application_name, tool_version" : "",
              ctx->store->applied_table, detailed ? ", NULL, NULL, NULL, NULL, NULL" : "",
              ctx->store->history_table);
}

static int query_state(um_ctx *ctx, const char *done, store_detail detail, pg_rows **rows,
                       pg_failure *fail)
{
    strbuf sql = STRBUF_INIT;
    append_state_sql(ctx, &sql, done, detail);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    int rc = pg_query_binary(ctx, sb_str(&sql), rows, fail);
    sb_free(&sql);
    return rc;
}

int store_prefetch_state(um_ctx *ctx, store_detail detail)
{
    int rc = store_names(ctx);
    if (rc)
        return rc;
    strbuf sql = STRBUF_INIT;
    append_state_sql(ctx, &sql, "statements_done", detail);
    rc = sb_failed(&sql) ? err_nomem(&ctx->err) : pg_prefetch(ctx, sb_str(&sql));
    sb_free(&sql);
    return rc;
}

int store_read_state_as(um_ctx *ctx, store_detail detail, store_state *out)
{
    memset(out, 0, sizeof(*out));
    int rc = store_connect(ctx);
    if (rc)
        return rc;

    pg_rows *rows = NULL;
    pg_failure fail = { 0 };
    out->detailed = detail == STORE_DETAILED;
    rc = query_state(ctx, "statements_done", detail, &rows, &fail);
    if (rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_UNDEFINED_COLUMN) == 0) {
        /* tables of an earlier version: upgraded by the next locked run */
        pg_failure_clear(&fail);
        out->needs_upgrade = true;
        rc = query_state(ctx, "0", detail, &rows, &fail);
    }
    if (is_undefined_table(rc, &fail)) {
        rc = read_version_rows(ctx, "SELECT 0, version_num COLLATE \"C\" FROM %s ORDER BY 2", true,
                               &rows);
        if (!rc && rows)
            rc = fill_state(ctx, rows, out);
    } else if (rc) {
        rc = read_failed(ctx, &fail, "cannot read the migration state");
    } else {
        out->tables_exist = true;
        rc = fill_state(ctx, rows, out);
    }
    pg_failure_clear(&fail);
    if (rc)
        store_state_free(out);
    return rc;
}

int store_read_state(um_ctx *ctx, store_state *out)
{
    return store_read_state_as(ctx, STORE_SUMMARY, out);
}

int store_read_state_call_as(um_ctx *ctx, store_detail detail, store_state *out)
{
    int rc = pg_call_begin(ctx);
    return rc ? rc : pg_call_finish(ctx, store_read_state_as(ctx, detail, out));
}

int store_read_state_call(um_ctx *ctx, store_state *out)
{
    return store_read_state_call_as(ctx, STORE_SUMMARY, out);
}

/* ---- the health summary ------------------------------------------- */

/* The statement name: on the handle's own connection only. */
#define SUMMARY_STATEMENT "ultramigrate_health"

static int build_summary_sql(um_ctx *ctx)
{
    struct store_session *st = ctx->store;
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT h.id, h.state, h.revision,"
              " (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM %s),"
              " (SELECT string_agg(revision || ' ' || state, ',' ORDER BY revision)"
              "  FROM %s WHERE state <> 'applied')"
              " FROM (SELECT 1) one LEFT JOIN LATERAL"
              " (SELECT id, state, revision FROM %s ORDER BY id DESC LIMIT 1) h ON true",
              st->version_table, st->applied_table, st->history_table);
    st->summary_sql = sb_detach(&sql);
    return st->summary_sql ? UM_OK : err_nomem(&ctx->err);
}

/*
 * On the handle's own connection the query is prepared once per session:
 * parsing and planning it each time costs more than the round trip
 * (0.05-0.1 ms prepared, 0.2 ms not, on a local socket).  A borrowed
 * connection is the host's: nothing stays prepared there, and preparing,
 * running and deallocating it in each call would cost 0.4 ms, so it is
 * sent as it is; so it is with lock_mode = table (book_unprepared).
 */
static int run_summary(um_ctx *ctx, pg_rows **rows, pg_failure *fail)
{
    int rc = ctx->store->summary_sql ? UM_OK : build_summary_sql(ctx);
    if (rc)
        return rc;
    if (!pg_owns_connection(ctx) || book_unprepared(ctx))
        return pg_query(ctx, ctx->store->summary_sql, 0, NULL, rows, fail);
    for (int attempt = 0;; attempt++) {
        if (!summary_prepared(ctx)) {
            rc = pg_prepare(ctx, SUMMARY_STATEMENT, ctx->store->summary_sql, fail);
            if (rc)
                return rc;
            ctx->store->summary_generation = pg_generation(ctx);
        }
        rc = pg_query_prepared(ctx, SUMMARY_STATEMENT, 0, NULL, rows, fail);
        /* a revision's DEALLOCATE ALL took it: prepared again, once */
        if (attempt || rc != UM_ESQL || !fail->sqlstate ||
            strcmp(fail->sqlstate, SQLSTATE_NO_SUCH_STATEMENT) != 0)
            return rc;
        ctx->store->summary_generation = 0;
        pg_failure_clear(fail);
    }
}

void store_summary_free(store_summary *s)
{
    pg_rows_free(s->rows);
    memset(s, 0, sizeof(*s));
}

int store_read_summary(um_ctx *ctx, store_summary *out)
{
    memset(out, 0, sizeof(*out));
    int rc = store_connect(ctx);
    if (rc)
        return rc;
    pg_failure fail = { 0 };
    rc = run_summary(ctx, &out->rows, &fail);
    bool adoptable = is_undefined_table(rc, &fail);
    if (adoptable)
        rc = read_version_rows(ctx,
                               "SELECT NULL, NULL, NULL, string_agg(version_num, ','"
                               " ORDER BY version_num), NULL FROM %s",
                               false, &out->rows);
    else if (fail.message)
        rc = read_failed(ctx, &fail, "health query failed");
    pg_failure_clear(&fail);
    if (rc || !out->rows)
        return rc;
    if (adoptable) {
        out->heads = pg_rows_value(out->rows, 0, 3);
        return UM_OK;
    }
    const char *id = pg_rows_value(out->rows, 0, 0);
    out->tables_exist = true;
    out->history_id = id ? strtoll(id, NULL, 10) : 0;
    out->last_state = pg_rows_value(out->rows, 0, 1);
    out->last_revision = pg_rows_value(out->rows, 0, 2);
    out->heads = pg_rows_value(out->rows, 0, 3);
    out->unfinished = pg_rows_value(out->rows, 0, 4);
    return UM_OK;
}

int store_read_marked_at(um_ctx *ctx, pg_rows **out)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql, "SELECT max(applied_at) FROM %s WHERE state = 'in_progress'",
              ctx->store->applied_table);
    int rc =
        sb_failed(&sql) ? err_nomem(&ctx->err) : pg_query(ctx, sb_str(&sql), 0, NULL, out, NULL);
    sb_free(&sql);
    return rc;
}

/* ---- tables --------------------------------------------------------- */

/* The newest direction: a history check without it is from an earlier
 * version (see append_history_directions). */
#define HISTORY_NEWEST_DIRECTION "repair"

/* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
 * schema exists, so it is only sent for a missing schema. */
int store_append_create_schema(um_ctx *ctx, strbuf *sql)
{
    const char *schema = ctx->cfg.version_table_schema;
    pg_rows *rows = NULL;
    int rc =
        pg_query(ctx, "SELECT to_regnamespace(quote_ident($1)) IS NULL", 1, &schema, &rows, NULL);
    if (rc)
        return rc;
    bool need_schema = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_rows_free(rows);
    if (need_schema) {
        sb_puts(sql, "CREATE SCHEMA IF NOT EXISTS ");
        pg_append_ident(ctx, sql, schema);
        sb_puts(sql, ";\n");
    }
    return UM_OK;
}

static void append_create_table(strbuf *sql, const char *table, const book_column *cols, size_t n)
{
    sb_printf(sql, "CREATE TABLE IF NOT EXISTS %s (\n", table);
    for (size_t i = 0; i < n; i++)
        sb_printf(sql, "  %s %s%s\n", cols[i].name, cols[i].definition, i + 1 < n ? "," : ");");
}

void store_append_create_tables(um_ctx *ctx, strbuf *sql, bool need_schema)
{
    const char *schema = ctx->cfg.version_table_schema;
    strbuf pk = STRBUF_INIT;
    sb_printf(&pk, "%s_pkc", ctx->cfg.version_table);
    if (need_schema) {
        sb_puts(sql, "CREATE SCHEMA IF NOT EXISTS ");
        pg_append_ident(ctx, sql, schema);
        sb_puts(sql, ";\n");
    }
    sb_printf(sql,
              "CREATE TABLE IF NOT EXISTS %s (\n"
              "  version_num varchar(32) NOT NULL,\n"
              "  CONSTRAINT ",
              ctx->store->version_table);
    pg_append_ident(ctx, sql, sb_str(&pk));
    sb_puts(sql, " PRIMARY KEY (version_num));\n");
    append_create_table(sql, ctx->store->applied_table, applied_columns,
                        N_COLUMNS(applied_columns));
    append_create_table(sql, ctx->store->history_table, history_columns,
                        N_COLUMNS(history_columns));
    /* The health snapshot looks for unfinished revisions at every call:
     * this index keeps that a lookup in an (almost always) empty index. */
    sb_reset(&pk);
    sb_printf(&pk, "%s_applied_unfinished", ctx->cfg.version_table);
    sb_puts(sql, "CREATE INDEX IF NOT EXISTS ");
    pg_append_ident(ctx, sql, sb_str(&pk));
    sb_printf(sql, " ON %s (revision) WHERE state <> 'applied';\n", ctx->store->applied_table);
    sb_free(&pk);
}

int store_ensure_tables(um_ctx *ctx, bool have_version_table)
{
    int rc = store_connect(ctx);
    if (!rc)
        rc = check_foreign_tables(ctx);
    if (rc)
        return rc;
    if (have_version_table)
        log_printf(&ctx->log, UM_LOG_INFO, "creating the bookkeeping tables %s and %s beside %s",
                   ctx->store->applied_table, ctx->store->history_table, ctx->store->version_table);
    else
        log_printf(&ctx->log, UM_LOG_INFO, "creating the bookkeeping tables %s, %s and %s",
                   ctx->store->version_table, ctx->store->applied_table, ctx->store->history_table);

    strbuf sql = STRBUF_INIT;
    rc = store_append_create_schema(ctx, &sql);
    if (rc) {
        sb_free(&sql);
        return rc;
    }
    store_append_create_tables(ctx, &sql, false);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    pg_failure fail = { 0 };
    rc = pg_exec(ctx, sb_str(&sql), &fail);
    if (rc == UM_ESQL || rc == UM_ECONNLOST)
        rc = store_failed(ctx, &fail, "cannot create the bookkeeping tables");
    pg_failure_clear(&fail);
    sb_free(&sql);
    return rc ? rc : store_upgrade_tables(ctx);
}

/* A history table made before the newest direction has a check that
 * refuses it: @sql replaces it. */
static int append_history_directions(um_ctx *ctx, strbuf *sql)
{
    const char *table = ctx->store->history_table;
    pg_rows *rows = NULL;
    int rc = pg_query(ctx,
                      "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass"
                      " AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%direction%'"
                      " AND pg_get_constraintdef(oid) NOT LIKE '%" HISTORY_NEWEST_DIRECTION "%'",
                      1, &table, &rows, NULL);
    for (size_t i = 0; !rc && i < pg_rows_count(rows); i++) {
        sb_printf(sql, "ALTER TABLE %s DROP CONSTRAINT ", table);
        pg_append_ident(ctx, sql, pg_rows_value(rows, i, 0));
        sb_printf(sql, ", ADD CHECK (direction IN (" HISTORY_DIRECTIONS "));\n");
    }
    pg_rows_free(rows);
    return rc;
}

/* An applied table made before statements_done: @sql adds it. */
static int append_statements_done(um_ctx *ctx, strbuf *sql)
{
    const char *table = ctx->store->applied_table;
    pg_rows *rows = NULL;
    int rc = pg_query(ctx,
                      "SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass"
                      " AND attname = 'statements_done' AND NOT attisdropped",
                      1, &table, &rows, NULL);
    if (!rc && pg_rows_count(rows) == 0)
        sb_printf(sql, "ALTER TABLE %s ADD COLUMN statements_done integer NOT NULL DEFAULT 0;\n",
                  table);
    pg_rows_free(rows);
    return rc;
}

int store_upgrade_tables(um_ctx *ctx)
{
    strbuf sql = STRBUF_INIT;
    int rc = store_connect(ctx);
    if (!rc)
        rc = append_history_directions(ctx, &sql);
    if (!rc)
        rc = append_statements_done(ctx, &sql);
    if (!rc && sb_failed(&sql))
        rc = err_nomem(&ctx->err);
    pg_failure fail = { 0 };
    if (!rc && sql.len) {
        log_printf(&ctx->log, UM_LOG_INFO,
                   "upgrading the bookkeeping tables of an earlier version");
        rc = pg_exec(ctx, sb_str(&sql), &fail);
    }
    if (fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL,
                            "cannot upgrade the bookkeeping tables of an earlier version");
    pg_failure_clear(&fail);
    sb_free(&sql);
    return rc;
}

/* ---- bookkeeping ---------------------------------------------------- */

/*
 * Every statement that writes the bookkeeping tables has one text below.
 * They are prepared together, once per server session (store_prepare),
 * with the same parameters, so that a caller only chooses which to
 * EXECUTE:
 *   $1 revision   $2 revisions: the heads a step replaces (up) or leaves
 *                 (down); for a stamp, the version rows or applied rows kept
 *   $3 checksum   $4 duration in ms   $5 host   $6 tool version
 *   $7 direction ('up', 'down', 'stamp')   $8 history state   $9 error
 * Sent as an EXECUTE in the same message as a revision's SQL, a statement
 * costs the server no parsing or planning per revision, which is what made
 * the bookkeeping of a small revision (a DROP TABLE) cost as much as the
 * revision itself.
 */
#define BOOK_N_PARAMS 9
static const char *const book_param_types[BOOK_N_PARAMS] = {
    "text", "text[]", "text", "double precision", "text", "text", "text", "text", "text",
};

typedef enum book_statement {
    BOOK_STEP_UP,      /* a revision applied: version rows, applied row, history */
    BOOK_STEP_DOWN,    /* a revision reverted: likewise */
    BOOK_APPLIED,      /* the applied row of $1, state applied */
    BOOK_IN_PROGRESS,  /* the applied row of $1, state in_progress */
    BOOK_MARK_FAILED,  /* the applied row of $1, if any, set to failed */
    BOOK_HISTORY,      /* a history row */
    BOOK_SET_HEADS,    /* the version rows become $2 */
    BOOK_KEEP_APPLIED, /* applied rows not in $2 deleted */
    BOOK_FORGET,       /* the applied row of $1 deleted (repair --rolled-back) */
    BOOK_SET_CHECKSUM  /* the applied row of $1 gets checksum $3 (repair --checksums) */
} book_statement;

#define BOOK_COUNT (BOOK_SET_CHECKSUM + 1)

static const char *const book_names[BOOK_COUNT] = {
    "ultramigrate_book_step_up",      "ultramigrate_book_step_down",    "ultramigrate_book_applied",
    "ultramigrate_book_progress",     "ultramigrate_book_mark_failed",  "ultramigrate_book_history",
    "ultramigrate_book_set_heads",    "ultramigrate_book_keep_applied", "ultramigrate_book_forget",
    "ultramigrate_book_set_checksum",
};

/* The applied row of $1 in @state, replacing an earlier one. */
static void append_applied_upsert(const struct store_session *st, strbuf *sb, const char *state)
{
    sb_printf(sb,
              "INSERT INTO %s (revision, checksum, duration_ms, host, application_name,"
              " tool_version, state, statements_done)"
              " VALUES ($1, $3, $4, $5, current_setting('application_name'), $6, '%s', 0)"
              " ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum,"
              " statements_done = EXCLUDED.statements_done,"
              " applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms,"
              " applied_by = EXCLUDED.applied_by, host = EXCLUDED.host,"
              " application_name = EXCLUDED.application_name,"
              " tool_version = EXCLUDED.tool_version, state = EXCLUDED.state",
              st->applied_table, state);
}

static void append_history_insert(const struct store_session *st, strbuf *sb)
{
    sb_printf(sb,
              "INSERT INTO %s (revision, direction, state, duration_ms, host, application_name,"
              " tool_version, checksum, error)"
              " VALUES ($1, $7, $8, $4, $5, current_setting('application_name'), $6, $3, $9)",
              st->history_table);
}

static void append_book_text(const struct store_session *st, strbuf *sb, book_statement which)
{
    const char *v = st->version_table, *a = st->applied_table;
    switch (which) {
    case BOOK_STEP_UP:
        sb_printf(sb,
                  "WITH parents AS (DELETE FROM %s WHERE version_num = ANY ($2)),"
                  " head AS (INSERT INTO %s (version_num) VALUES ($1)), applied AS (",
                  v, v);
        append_applied_upsert(st, sb, "applied");
        sb_puts(sb, ") ");
        append_history_insert(st, sb);
        break;
    case BOOK_STEP_DOWN:
        sb_printf(sb,
                  "WITH head AS (DELETE FROM %s WHERE version_num = $1),"
                  " parents AS (INSERT INTO %s (version_num) SELECT unnest($2)"
                  " ON CONFLICT DO NOTHING),"
                  " applied AS (DELETE FROM %s WHERE revision = $1) ",
                  v, v, a);
        append_history_insert(st, sb);
        break;
    case BOOK_APPLIED:
        append_applied_upsert(st, sb, "applied");
        break;
    case BOOK_IN_PROGRESS:
        append_applied_upsert(st, sb, "in_progress");
        break;
    case BOOK_MARK_FAILED:
        sb_printf(sb, "UPDATE %s SET state = 'failed' WHERE revision = $1", a);
        break;
    case BOOK_HISTORY:
        append_history_insert(st, sb);
        break;
    case BOOK_SET_HEADS:
        /* the rows kept are neither deleted nor inserted: no key is both */
        sb_printf(sb,
                  "WITH gone AS (DELETE FROM %s WHERE version_num <> ALL ($2))"
                  " INSERT INTO %s (version_num) SELECT unnest($2) ON CONFLICT DO NOTHING",
                  v, v);
        break;
    case BOOK_KEEP_APPLIED:
        sb_printf(sb, "DELETE FROM %s WHERE revision <> ALL ($2)", a);
        break;
    case BOOK_FORGET:
        sb_printf(sb, "DELETE FROM %s WHERE revision = $1", a);
        break;
    case BOOK_SET_CHECKSUM:
        sb_printf(sb, "UPDATE %s SET checksum = $3 WHERE revision = $1", a);
        break;
    }
}

/* The statements are there for this session (a new one has none). */
static bool book_prepared(const um_ctx *ctx)
{
    return ctx->store->book_generation == pg_generation(ctx) && pg_connected(ctx);
}

void store_append_prepare(const um_ctx *ctx, strbuf *sql)
{
    for (int i = 0; i < BOOK_COUNT; i++) {
        sb_printf(sql, "PREPARE %s (", book_names[i]);
        for (int p = 0; p < BOOK_N_PARAMS; p++)
            sb_printf(sql, "%s%s", p ? ", " : "", book_param_types[p]);
        sb_puts(sql, ") AS ");
        append_book_text(ctx->store, sql, (book_statement)i);
        sb_puts(sql, ";\n");
    }
}

void store_append_unprepare(strbuf *sql)
{
    for (int i = 0; i < BOOK_COUNT; i++)
        sb_printf(sql, "DEALLOCATE %s;\n", book_names[i]);
}

int store_prepare(um_ctx *ctx)
{
    if (book_prepared(ctx) || book_unprepared(ctx))
        return UM_OK;
    strbuf sql = STRBUF_INIT;
    store_append_prepare(ctx, &sql);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    int rc = pg_exec(ctx, sb_str(&sql), NULL);
    sb_free(&sql);
    ctx->store->book_generation = rc == UM_OK ? pg_generation(ctx) : 0;
    return rc;
}

/* A borrowed connection is left without the engine's statements. */
void store_unprepare(um_ctx *ctx)
{
    if (!ctx->store || !book_prepared(ctx) || pg_owns_connection(ctx))
        return;
    strbuf sql = STRBUF_INIT;
    store_append_unprepare(&sql);
    pg_failure fail = { 0 };
    if (sb_str(&sql))
        pg_exec(ctx, sb_str(&sql), &fail);
    pg_failure_clear(&fail);
    sb_free(&sql);
    ctx->store->book_generation = 0;
}

/* The values of one EXECUTE (see book_param_types); NULL strings are NULL. */
typedef struct book_args {
    const char *revision;
    const char *const *revisions;
    size_t n_revisions;
    const char *checksum;
    double duration_ms; /* STORE_SERVER_DURATION: measured by the server */
    const char *direction;
    const char *state;
    const char *error;
} book_args;

static void append_literal_or_null(um_ctx *ctx, strbuf *sb, const char *s)
{
    if (s)
        pg_append_literal(ctx, sb, s);
    else
        sb_puts(sb, "NULL");
}

/* Milliseconds with three decimals, whatever the host's LC_NUMERIC. */
static void append_duration(strbuf *sb, double duration_ms)
{
    if (duration_ms < 0) {
        sb_puts(sb, "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)");
        return;
    }
    long long us = llround(duration_ms * 1000.0);
    sb_printf(sb, "%lld.%03lld", us / 1000, us % 1000);
}

/* The values of @a as SQL expressions, one per parameter (see
 * book_param_types), quoted for a message that may hold a revision's SQL too. */
static void render_args(um_ctx *ctx, const book_args *a, strbuf v[BOOK_N_PARAMS])
{
    append_literal_or_null(ctx, &v[0], a->revision);
    sb_puts(&v[1], "ARRAY[");
    for (size_t i = 0; i < a->n_revisions; i++) {
        if (i)
            sb_puts(&v[1], ", ");
        pg_append_literal(ctx, &v[1], a->revisions[i]);
    }
    sb_puts(&v[1], "]::text[]");
    append_literal_or_null(ctx, &v[2], a->checksum);
    append_duration(&v[3], a->duration_ms);
    pg_append_literal(ctx, &v[4], ctx->store->host);
    pg_append_literal(ctx, &v[5], UM_VERSION_STRING);
    append_literal_or_null(ctx, &v[6], a->direction);
    append_literal_or_null(ctx, &v[7], a->state);
    append_literal_or_null(ctx, &v[8], a->error);
}

/* Copies the quoted token at @s (an identifier or a literal, its doubled
 * quotes inside) to @sb; returns its length. */
static size_t copy_quoted(strbuf *sb, const char *s)
{
    size_t n = 1;
    while (s[n] && !(s[n] == s[0] && s[n + 1] != s[0]))
        n += s[n] == s[0] ? 2 : 1;
    n += s[n] != '\0';
    sb_append(sb, s, n);
    return n;
}

/*
 * The text of @which with each parameter replaced by its value, cast to
 * its type: what EXECUTE would run, with nothing prepared.  The texts hold
 * quoted identifiers (the table names: a "$1" may be in one), plain
 * literals and $N parameters only.
 */
static void append_inline(const struct store_session *st, strbuf *sb, book_statement which,
                          const strbuf v[BOOK_N_PARAMS])
{
    strbuf text = STRBUF_INIT;
    append_book_text(st, &text, which);
    for (const char *s = sb_str(&text) ? sb_str(&text) : ""; *s;) {
        if (*s == '"' || *s == '\'') {
            s += copy_quoted(sb, s);
        } else if (*s == '$' && s[1] >= '1' && s[1] <= '9') {
            char *end;
            long p = strtol(s + 1, &end, 10) - 1;
            if (p >= BOOK_N_PARAMS) {
                sb->failed = true; /* a text out of step with BOOK_N_PARAMS */
                break;
            }
            sb_printf(sb, "(%s)::%s", sb_str(&v[p]), book_param_types[p]);
            s = end;
        } else {
            sb_putc(sb, *s++);
        }
    }
    if (sb_failed(&text))
        sb->failed = true; /* the caller reports out of memory */
    sb_free(&text);
}

/* EXECUTE of @which with @a (lock_mode = table: the statement itself),
 * quoted for a message that may hold a revision's SQL too. */
static void append_execute(um_ctx *ctx, strbuf *sb, book_statement which, const book_args *a)
{
    strbuf v[BOOK_N_PARAMS];
    for (int p = 0; p < BOOK_N_PARAMS; p++)
        v[p] = (strbuf)STRBUF_INIT;
    render_args(ctx, a, v);
    bool rendered = true;
    for (int p = 0; p < BOOK_N_PARAMS; p++)
        rendered = rendered && !sb_failed(&v[p]);
    if (!rendered) {
        sb->failed = true; /* the caller reports it */
    } else if (book_unprepared(ctx)) {
        append_inline(ctx->store, sb, which, v);
    } else {
        /* sb_puts: a vsnprintf() a piece was 16 % of a downgrade's
         * instructions (callgrind, 1,000 revisions) */
        sb_puts(sb, "EXECUTE ");
        sb_puts(sb, book_names[which]);
        for (int p = 0; p < BOOK_N_PARAMS; p++) {
            sb_puts(sb, p ? ", " : " (");
            sb_puts(sb, sb_str(&v[p]));
        }
        sb_puts(sb, ")");
    }
    sb_puts(sb, ";\n");
    for (int p = 0; p < BOOK_N_PARAMS; p++)
        sb_free(&v[p]);
}

static bool appended(const um_ctx *ctx, const strbuf *sb)
{
    return !sb_failed(sb) && ctx->err.d.code == UM_OK;
}

/* Runs the EXECUTEs in @sql (one message: one implicit transaction),
 * while the lock is this run's (lock_append_fence). */
static int run_book(um_ctx *ctx, strbuf *sql, pg_failure *fail)
{
    int rc =
        lock_append_fence(ctx, sql) && appended(ctx, sql) ? UM_OK : err_code_or_nomem(&ctx->err);
    if (!rc)
        rc = store_prepare(ctx);
    if (!rc)
        rc = pg_exec(ctx, sb_str(sql), fail);
    sb_free(sql);
    return rc;
}

/*
 * SET @assignments (the engine's own text) on the applied row of @s, its
 * id quoted as a literal: the same text for a run and for a rendered
 * script.  Not prepared: it serves only the rare revisions that run
 * outside a transaction, once per statement.
 */
static bool append_applied_update(um_ctx *ctx, strbuf *sb, const script_file *s,
                                  const char *assignments)
{
    sb_printf(sb, "UPDATE %s SET %s WHERE revision = ", ctx->store->applied_table, assignments);
    pg_append_literal(ctx, sb, s->id);
    sb_puts(sb, ";\n");
    return appended(ctx, sb);
}

static const char *direction_name(um_direction dir)
{
    return dir == UM_UP ? "up" : "down";
}

bool store_append_step_record(um_ctx *ctx, strbuf *sb, const script_file *s, um_direction dir,
                              const char *const *heads, size_t n_heads, double duration_ms)
{
    book_args a = {
        s->id, heads, n_heads, s->checksum, duration_ms, direction_name(dir), "ok", NULL
    };
    append_execute(ctx, sb, dir == UM_UP ? BOOK_STEP_UP : BOOK_STEP_DOWN, &a);
    return lock_append_fence(ctx, sb) && appended(ctx, sb);
}

bool store_append_in_progress(um_ctx *ctx, strbuf *sb, const script_file *s, um_direction dir)
{
    if (dir == UM_DOWN)
        return append_applied_update(ctx, sb, s, "state = 'in_progress', statements_done = 0");
    book_args a = { s->id, NULL, 0, s->checksum, 0, "up", NULL, NULL };
    append_execute(ctx, sb, BOOK_IN_PROGRESS, &a);
    return appended(ctx, sb);
}

bool store_append_statements_done(um_ctx *ctx, strbuf *sb, const script_file *s, int done)
{
    char assignment[48];
    snprintf(assignment, sizeof(assignment), "statements_done = %d", done);
    return append_applied_update(ctx, sb, s, assignment);
}

int store_mark_in_progress(um_ctx *ctx, const script_file *s, um_direction dir)
{
    strbuf sql = STRBUF_INIT;
    store_append_in_progress(ctx, &sql, s, dir);
    return run_book(ctx, &sql, NULL);
}

int store_set_statements_done(um_ctx *ctx, const script_file *s, int done)
{
    strbuf sql = STRBUF_INIT;
    store_append_statements_done(ctx, &sql, s, done);
    return run_book(ctx, &sql, NULL);
}

int store_record_stop(um_ctx *ctx, const script_file *s, um_direction dir, double duration_ms,
                      const char *error, store_stop how)
{
    if (!lock_held(ctx))
        return UM_OK; /* the session that ran it is gone, and the lock with it */
    strbuf sql = STRBUF_INIT;
    book_args a = { s->id,
                    NULL,
                    0,
                    s->checksum,
                    duration_ms,
                    direction_name(dir),
                    how == STORE_CANCELLED ? "cancelled" : "failed",
                    error };
    if (how == STORE_FAILED_UNFINISHED)
        append_execute(ctx, &sql, BOOK_MARK_FAILED, &a);
    append_execute(ctx, &sql, BOOK_HISTORY, &a);
    pg_failure fail = { 0 };
    int rc = run_book(ctx, &sql, &fail);
    if (rc)
        log_printf(&ctx->log, UM_LOG_WARNING, "could not record the %s of %s in the history: %s",
                   how == STORE_CANCELLED ? "cancellation" : "failure", s->id,
                   fail.message ? fail.message : um_errmsg(ctx));
    pg_failure_clear(&fail);
    return rc;
}

/* Whether @st has an applied row for @id in state applied. */
static bool already_applied(const store_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_applied; i++)
        if (strcmp(st->applied[i].revision, id) == 0)
            return strcmp(st->applied[i].state, "applied") == 0;
    return false;
}

static const char **script_ids(const script_file *const *scripts, size_t n)
{
    const char **ids = util_calloc(n, sizeof(*ids));
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = scripts[i]->id;
    return ids;
}

int store_stamp(um_ctx *ctx, const store_state *st, const script_file *const *heads, size_t n_heads,
                const script_file *const *applied, size_t n_applied)
{
    const char **head_ids = script_ids(heads, n_heads);
    const char **applied_ids = script_ids(applied, n_applied);
    strbuf sql = STRBUF_INIT;
    pg_failure fail = { 0 };
    int rc;
    if (!head_ids || !applied_ids) {
        rc = err_nomem(&ctx->err);
        goto done;
    }
    book_args a = { NULL, head_ids, n_heads, NULL, 0, "stamp", "ok", NULL };
    append_execute(ctx, &sql, BOOK_SET_HEADS, &a);
    a.revisions = applied_ids;
    a.n_revisions = n_applied;
    append_execute(ctx, &sql, BOOK_KEEP_APPLIED, &a);
    a.revisions = NULL;
    a.n_revisions = 0;
    /* a row already applied keeps when, by whom and with what checksum */
    for (size_t i = 0; i < n_applied; i++) {
        if (already_applied(st, applied[i]->id))
            continue;
        a.revision = applied[i]->id;
        a.checksum = applied[i]->checksum;
        append_execute(ctx, &sql, BOOK_APPLIED, &a);
    }
    for (size_t i = 0; i < n_heads; i++) {
        a.revision = heads[i]->id;
        a.checksum = heads[i]->checksum;
        append_execute(ctx, &sql, BOOK_HISTORY, &a);
    }
    rc = run_book(ctx, &sql, &fail);
    if (fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "stamp failed");
done:
    pg_failure_clear(&fail);
    free(head_ids);
    free(applied_ids);
    return rc;
}

int store_adopt(um_ctx *ctx, const script_file *const *applied, size_t n_applied)
{
    strbuf sql = STRBUF_INIT, note = STRBUF_INIT;
    pg_failure fail = { 0 };
    sb_printf(&note, "adopted from %s: recorded as applied, not run", ctx->store->version_table);
    if (sb_failed(&note)) {
        sb_free(&note);
        return err_nomem(&ctx->err);
    }
    book_args a = { NULL, NULL, 0, NULL, 0, "stamp", "ok", sb_str(&note) };
    for (size_t i = 0; i < n_applied; i++) {
        a.revision = applied[i]->id;
        a.checksum = applied[i]->checksum;
        append_execute(ctx, &sql, BOOK_APPLIED, &a);
        append_execute(ctx, &sql, BOOK_HISTORY, &a);
    }
    int rc = run_book(ctx, &sql, &fail);
    if (fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot record the adopted revisions");
    pg_failure_clear(&fail);
    sb_free(&note);
    return rc;
}

/*
 * A message of history rows other than steps (repair, restore): it starts
 * by letting a history table of an earlier version accept the newest
 * directions.  On failure @sql is freed.
 */
static int begin_history_book(um_ctx *ctx, strbuf *sql)
{
    int rc = store_connect(ctx);
    if (!rc)
        rc = append_history_directions(ctx, sql);
    if (rc)
        sb_free(sql);
    return rc;
}

/* Runs it (one transaction); a server error reads "@what: ...". */
static int end_history_book(um_ctx *ctx, strbuf *sql, const char *revision, const char *what)
{
    pg_failure fail = { 0 };
    int rc = run_book(ctx, sql, &fail);
    if (fail.message)
        pg_failure_to_error(ctx, &fail, NULL, 0, revision, what);
    pg_failure_clear(&fail);
    return rc;
}

int store_repair(um_ctx *ctx, const char *const *heads, size_t n_heads, const char *revision,
                 const char *checksum, const char *note)
{
    strbuf sql = STRBUF_INIT;
    book_args a = { revision, heads, n_heads, checksum, 0, "repair", "ok", note };
    int rc = begin_history_book(ctx, &sql);
    if (rc)
        return rc;
    append_execute(ctx, &sql, BOOK_SET_HEADS, &a);
    append_execute(ctx, &sql, checksum ? BOOK_APPLIED : BOOK_FORGET, &a);
    append_execute(ctx, &sql, BOOK_HISTORY, &a);
    return end_history_book(ctx, &sql, revision, "cannot record the repair");
}

int store_repair_checksums(um_ctx *ctx, const script_file *const *scripts, const char *const *notes,
                           size_t n)
{
    strbuf sql = STRBUF_INIT;
    if (n == 0)
        return UM_OK;
    int rc = begin_history_book(ctx, &sql);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        book_args a = {
            scripts[i]->id, NULL, 0, scripts[i]->checksum, 0, "repair", "ok", notes[i]
        };
        append_execute(ctx, &sql, BOOK_SET_CHECKSUM, &a);
        append_execute(ctx, &sql, BOOK_HISTORY, &a);
    }
    return end_history_book(ctx, &sql, NULL, "cannot record the new checksums");
}

int store_record_restore(um_ctx *ctx, const char *const *heads, size_t n_heads,
                         const char *checksum)
{
    strbuf sql = STRBUF_INIT;
    int rc = begin_history_book(ctx, &sql);
    if (rc)
        return rc;
    book_args a = { "base", NULL, 0, checksum, 0, "restore", "ok", NULL };
    for (size_t i = 0; i < (n_heads ? n_heads : 1); i++) {
        a.revision = n_heads ? heads[i] : "base";
        append_execute(ctx, &sql, BOOK_HISTORY, &a);
    }
    return end_history_book(ctx, &sql, NULL, "cannot record the restore in the history");
}

/*
 * After a run the tables' statistics are stale (a fresh database has
 * none): the health query's plan would read the whole applied table
 * instead of the partial index.  They are small, so ANALYZE is cheap.
 * Not the history: it only grows (10,000 entries took 16 ms to analyze,
 * 3% of a downgrade of 1,000 revisions), and every read of it takes the
 * newest entries by its primary key, a plan no statistics change.
 */
void store_append_analyze(const um_ctx *ctx, strbuf *sql)
{
    sb_printf(sql, "ANALYZE %s, %s", ctx->store->version_table, ctx->store->applied_table);
}

void store_analyze(um_ctx *ctx)
{
    strbuf sql = STRBUF_INIT;
    store_append_analyze(ctx, &sql);
    pg_failure fail = { 0 };
    if (sb_str(&sql) && pg_connected(ctx) && pg_exec(ctx, sb_str(&sql), &fail) != UM_OK)
        log_printf(&ctx->log, UM_LOG_DEBUG, "ANALYZE of the bookkeeping tables failed: %s",
                   fail.message ? fail.message : "unknown error");
    pg_failure_clear(&fail);
    sb_free(&sql);
}

/* ---- history -------------------------------------------------------- */

void um_history_free(um_history_list *h)
{
    if (!h)
        return;
    pg_rows_free(h->rows);
    free(h->entries);
    free(h);
}

static void read_history_row(const pg_rows *rows, size_t row, um_history_entry *e)
{
    e->id = strtoll(pg_rows_value(rows, row, 0), NULL, 10);
    read_run_columns(rows, row, 5, &e->duration_ms, &e->applied_by, &e->host, &e->application_name,
                     &e->tool_version);
    e->revision = pg_rows_value(rows, row, 1);
    e->direction = pg_rows_value(rows, row, 2);
    e->state = pg_rows_value(rows, row, 3);
    e->started_at = pg_rows_value(rows, row, 4);
    e->error = pg_rows_value(rows, row, 10);
}

int store_read_history(um_ctx *ctx, size_t limit, um_history_list **out)
{
    *out = NULL;
    int rc = store_connect(ctx);
    if (rc)
        return rc;
    char lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    /* NULL: no limit; so is one past bigint (SIZE_MAX: "all") */
    const char *p = limit && limit <= (size_t)INT64_MAX ? lim : NULL;
    strbuf sql = STRBUF_INIT;
    pg_failure fail = { 0 };
    size_t n = 0;
    um_history_list *h = calloc(1, sizeof(*h));
    sb_printf(&sql,
              "SELECT * FROM (SELECT id, revision, direction, state,"
              " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
              " duration_ms::text, applied_by, host, application_name, tool_version, error"
              " FROM %s ORDER BY id DESC LIMIT $1::bigint) h ORDER BY id",
              ctx->store->history_table);
    if (!h || sb_failed(&sql)) {
        rc = err_nomem(&ctx->err);
        goto done;
    }
    rc = pg_query(ctx, sb_str(&sql), 1, &p, &h->rows, &fail);
    if (rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0)
        rc = UM_OK; /* never migrated: an empty history */
    else if (rc == UM_ESQL || rc == UM_ECONNLOST)
        rc = store_failed(ctx, &fail, "cannot read the history");
    n = pg_rows_count(h->rows);
    if (!rc && !(h->entries = util_calloc(n, sizeof(*h->entries))))
        rc = err_nomem(&ctx->err);
    for (size_t i = 0; !rc && i < n; i++)
        read_history_row(h->rows, i, &h->entries[h->count++]);
done:
    sb_free(&sql);
    pg_failure_clear(&fail);
    if (rc)
        um_history_free(h);
    else
        *out = h;
    return rc;
}
