/*
 * store.c - bookkeeping tables and the migration lock.
 */
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"
#include "util.h"

/* Server-side duration of the current message, in milliseconds. */
#define SQL_ELAPSED_MS "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)"

/*
 * What the store keeps between calls: the quoted table names (quoting
 * needs a connection), the host recorded with each step, and what it holds
 * on the server session, keyed by its generation (pg_generation): a new
 * session has neither the step statements nor the lock.
 */
struct store_session {
    char *version_table; /* quoted and schema-qualified */
    char *applied_table;
    char *history_table;
    char host[256];                 /* this machine, recorded with each step */
    unsigned long steps_generation; /* the step statements are prepared; 0: no */
    unsigned long lock_generation;  /* the migration lock is held; 0: no */
};

static char *qualified_name(um_ctx *ctx, const char *suffix)
{
    strbuf sb = STRBUF_INIT;
    strbuf table = STRBUF_INIT;

    sb_printf(&table, "%s%s", ctx->cfg.version_table, suffix);
    if (!sb_str(&table) || !pg_append_ident(ctx, &sb, ctx->cfg.version_table_schema)) {
        sb_free(&table);
        sb_free(&sb);
        return NULL;
    }
    sb_putc(&sb, '.');
    bool ok = pg_append_ident(ctx, &sb, sb_str(&table));
    sb_free(&table);
    if (!ok) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

void store_session_free(um_ctx *ctx)
{
    struct store_session *st = ctx->store;
    if (!st)
        return;
    free(st->version_table);
    free(st->applied_table);
    free(st->history_table);
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
    st->version_table = qualified_name(ctx, "");
    st->applied_table = qualified_name(ctx, "_applied");
    st->history_table = qualified_name(ctx, "_history");
    ctx->store = st;
    if (st->version_table && st->applied_table && st->history_table)
        return UM_OK;
    store_session_free(ctx);
    return ctx->err.d.code ? ctx->err.d.code : err_nomem(&ctx->err);
}

const char *store_table(const um_ctx *ctx, store_table_kind which)
{
    const struct store_session *st = ctx->store;
    return which == STORE_VERSION   ? st->version_table
           : which == STORE_APPLIED ? st->applied_table
                                    : st->history_table;
}

/* Connects and builds the quoted table names once. */
int store_connect(um_ctx *ctx)
{
    int rc = pg_ensure_connected(ctx);
    if (rc || ctx->store)
        return rc;
    return create_session(ctx);
}

/* ---- state ---------------------------------------------------------- */

void store_state_free(store_state *st)
{
    for (size_t i = 0; i < st->n_heads; i++)
        free(st->heads[i]);
    free(st->heads);
    for (size_t i = 0; i < st->n_applied; i++) {
        store_applied_row *a = &st->applied[i];
        free(a->revision);
        free(a->checksum);
        free(a->applied_at);
        free(a->applied_by);
        free(a->host);
        free(a->application_name);
        free(a->tool_version);
        free(a->state);
    }
    free(st->applied);
    memset(st, 0, sizeof(*st));
}

static char *dup_value(const pg_rows *rows, size_t row, int col)
{
    return util_strdup_null(pg_rows_value(rows, row, col));
}

static bool read_applied_row(const pg_rows *rows, size_t row, store_applied_row *a)
{
    const char *dur = pg_rows_value(rows, row, 4);
    a->revision = dup_value(rows, row, 1);
    a->checksum = dup_value(rows, row, 2);
    a->applied_at = dup_value(rows, row, 3);
    a->duration_ms = dur ? strtod(dur, NULL) : 0;
    a->applied_by = dup_value(rows, row, 5);
    a->host = dup_value(rows, row, 6);
    a->application_name = dup_value(rows, row, 7);
    a->tool_version = dup_value(rows, row, 8);
    a->state = dup_value(rows, row, 9);
    return a->revision && a->state;
}

static int fill_state(um_ctx *ctx, const pg_rows *rows, store_state *out)
{
    size_t n = pg_rows_count(rows);
    out->heads = util_calloc(n, sizeof(*out->heads));
    out->applied = util_calloc(n, sizeof(*out->applied));
    if (!out->heads || !out->applied)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pg_rows_value(rows, i, 0), "0") == 0) {
            char *h = dup_value(rows, i, 1);
            if (!h)
                return err_nomem(&ctx->err);
            out->heads[out->n_heads++] = h;
        } else if (!read_applied_row(rows, i, &out->applied[out->n_applied++])) {
            return err_nomem(&ctx->err);
        }
    }
    return UM_OK;
}

int store_read_state(um_ctx *ctx, store_state *out)
{
    memset(out, 0, sizeof(*out));
    int rc = store_connect(ctx);
    if (rc)
        return rc;

    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT 0, version_num, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
              " NULL::timestamptz FROM %s"
              " UNION ALL"
              " SELECT 1, revision, checksum,"
              " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
              " duration_ms::text, applied_by, host, application_name, tool_version,"
              " state, applied_at FROM %s"
              " ORDER BY 1, 11, 2",
              ctx->store->version_table, ctx->store->applied_table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);

    pg_rows *rows = NULL;
    pg_failure fail = { 0 };
    rc = pg_query(ctx, sb_str(&sql), 0, NULL, &rows, &fail);
    sb_free(&sql);
    if (rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0) {
        pg_failure_clear(&fail);
        return UM_OK; /* never migrated: the empty state */
    }
    if (rc) {
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot read the migration state");
        pg_failure_clear(&fail);
        return rc;
    }
    out->tables_exist = true;
    rc = fill_state(ctx, rows, out);
    pg_rows_free(rows);
    if (rc)
        store_state_free(out);
    return rc;
}

/* ---- tables --------------------------------------------------------- */

int store_ensure_tables(um_ctx *ctx)
{
    int rc = store_connect(ctx);
    if (rc)
        return rc;
    log_printf(&ctx->log, UM_LOG_INFO, "creating the bookkeeping tables %s, %s and %s",
               ctx->store->version_table, ctx->store->applied_table, ctx->store->history_table);

    /* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
     * the schema exists, so it is only sent for a missing schema. */
    const char *schema = ctx->cfg.version_table_schema;
    pg_rows *rows = NULL;
    rc = pg_query(ctx, "SELECT to_regnamespace(quote_ident($1)) IS NULL", 1, &schema, &rows, NULL);
    if (rc)
        return rc;
    bool need_schema = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_rows_free(rows);

    strbuf sql = STRBUF_INIT;
    strbuf pk = STRBUF_INIT;
    sb_printf(&pk, "%s_pkc", ctx->cfg.version_table);
    if (need_schema) {
        sb_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
        pg_append_ident(ctx, &sql, schema);
        sb_puts(&sql, ";\n");
    }
    sb_printf(&sql,
              "CREATE TABLE IF NOT EXISTS %s (\n"
              "  version_num varchar(32) NOT NULL,\n"
              "  CONSTRAINT ",
              ctx->store->version_table);
    pg_append_ident(ctx, &sql, sb_str(&pk));
    sb_printf(&sql,
              " PRIMARY KEY (version_num));\n"
              "CREATE TABLE IF NOT EXISTS %s (\n"
              "  revision varchar(32) PRIMARY KEY,\n"
              "  checksum text NOT NULL,\n"
              "  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
              "  duration_ms double precision NOT NULL DEFAULT 0,\n"
              "  applied_by text NOT NULL DEFAULT current_user,\n"
              "  host text,\n"
              "  application_name text,\n"
              "  tool_version text NOT NULL,\n"
              "  state text NOT NULL CHECK (state IN ('applied', 'in_progress', 'failed')));\n"
              "CREATE TABLE IF NOT EXISTS %s (\n"
              "  id bigserial PRIMARY KEY,\n"
              "  revision varchar(32) NOT NULL,\n"
              "  direction text NOT NULL CHECK (direction IN ('up', 'down', 'stamp')),\n"
              "  state text NOT NULL CHECK (state IN ('ok', 'failed')),\n"
              "  started_at timestamptz NOT NULL DEFAULT statement_timestamp(),\n"
              "  duration_ms double precision NOT NULL DEFAULT 0,\n"
              "  applied_by text NOT NULL DEFAULT current_user,\n"
              "  host text,\n"
              "  application_name text,\n"
              "  tool_version text NOT NULL,\n"
              "  checksum text,\n"
              "  error text);\n",
              ctx->store->applied_table, ctx->store->history_table);
    /* The health snapshot looks for unfinished revisions at every call:
     * this index keeps that a lookup in an (almost always) empty index. */
    sb_reset(&pk);
    sb_printf(&pk, "%s_applied_unfinished", ctx->cfg.version_table);
    sb_puts(&sql, "CREATE INDEX IF NOT EXISTS ");
    pg_append_ident(ctx, &sql, sb_str(&pk));
    sb_printf(&sql, " ON %s (revision) WHERE state <> 'applied';\n", ctx->store->applied_table);
    sb_free(&pk);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    rc = pg_exec(ctx, sb_str(&sql), NULL);
    sb_free(&sql);
    return rc;
}

/* ---- lock ----------------------------------------------------------- */

/*
 * The lock key: FNV-1a (64 bit) of the qualified version table name, so
 * that projects sharing a database but not a version table do not block
 * each other.  pg_locks shows a bigint key as classid (high 32 bits) and
 * objid (low 32 bits).
 */
static int64_t lock_key(const um_ctx *ctx)
{
    const char *schema = ctx->cfg.version_table_schema, *table = ctx->cfg.version_table;
    uint64_t h = util_fnv1a(UTIL_FNV1A_INIT, schema, strlen(schema));
    h = util_fnv1a(h, ".", 1);
    return (int64_t)util_fnv1a(h, table, strlen(table));
}

static int lock_holder_error(um_ctx *ctx, int64_t key)
{
    char classid[16], objid[16];
    uint64_t u = (uint64_t)key;
    snprintf(classid, sizeof(classid), "%u", (unsigned)(u >> 32));
    snprintf(objid, sizeof(objid), "%u", (unsigned)(u & 0xffffffffu));
    const char *params[2] = { classid, objid };
    pg_rows *rows = NULL;
    int rc = pg_query(
        ctx,
        "SELECT a.pid, coalesce(nullif(a.application_name, ''), '(none)'),"
        " to_char(coalesce(a.xact_start, a.backend_start) AT TIME ZONE 'UTC',"
        "         'YYYY-MM-DD HH24:MI:SS\"Z\"'),"
        " coalesce(a.usename::text, '?'), coalesce(a.client_addr::text, 'local')"
        " FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        2, params, &rows, NULL);
    if (rc)
        return rc;
    if (pg_rows_count(rows) == 0)
        ctx_error(ctx, UM_ELOCKED, NULL, 0, NULL,
                  "the migration lock is held by another session (it could not be identified)");
    else
        ctx_error(ctx, UM_ELOCKED, NULL, 0, NULL,
                  "the migration lock is held by backend pid %s (application_name '%s',"
                  " role %s from %s, since %s); gave up after lock_wait = %d ms",
                  pg_rows_value(rows, 0, 0), pg_rows_value(rows, 0, 1), pg_rows_value(rows, 0, 3),
                  pg_rows_value(rows, 0, 4), pg_rows_value(rows, 0, 2), ctx->cfg.lock_wait_ms);
    pg_rows_free(rows);
    return UM_ELOCKED;
}

static int try_lock(um_ctx *ctx, const char *key, bool *got)
{
    pg_rows *rows = NULL;
    int rc = pg_query(ctx, "SELECT pg_try_advisory_lock($1::bigint)", 1, &key, &rows, NULL);
    if (rc)
        return rc;
    *got = strcmp(pg_rows_value(rows, 0, 0), "t") == 0;
    pg_rows_free(rows);
    return UM_OK;
}

/* Waits on the server (lock_timeout applies to advisory locks too), so a
 * waiter wakes the moment the holder lets go, without polling.  The
 * session's lock_timeout is put back after (the connection may be the
 * host's). */
static int wait_lock(um_ctx *ctx, const char *key, bool *got)
{
    char timeout[32], *old = NULL;
    snprintf(timeout, sizeof(timeout), "%dms", ctx->cfg.lock_wait_ms);
    int rc = pg_swap_setting(ctx, "lock_timeout", timeout, &old);
    if (rc)
        return rc;
    pg_failure fail = { 0 };
    rc = pg_query(ctx, "SELECT pg_advisory_lock($1::bigint)", 1, &key, NULL, &fail);
    *got = rc == UM_OK;
    bool timed_out =
        rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0;
    if (rc && pg_cancel_requested(ctx))
        ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL,
                  "cancelled by the host while waiting for the migration lock");
    else if (rc && !timed_out)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot take the migration lock");
    pg_failure_clear(&fail);

    err_buf kept = err_stash(&ctx->err);
    int restore = pg_connected(ctx) ? pg_swap_setting(ctx, "lock_timeout", old, NULL) : UM_OK;
    free(old);
    if (rc && !timed_out) {
        err_unstash(&ctx->err, &kept);
        return ctx->err.d.code;
    }
    err_clear(&kept);
    return restore;
}

int store_lock(um_ctx *ctx)
{
    int rc = store_connect(ctx);
    if (rc)
        return rc;
    char key[32];
    int64_t k = lock_key(ctx);
    snprintf(key, sizeof(key), "%lld", (long long)k);

    bool got = false;
    rc = try_lock(ctx, key, &got);
    if (!rc && !got && ctx->cfg.lock_wait_ms > 0) {
        log_printf(&ctx->log, UM_LOG_INFO, "waiting up to %d ms for the migration lock",
                   ctx->cfg.lock_wait_ms);
        rc = wait_lock(ctx, key, &got);
    }
    if (rc && got) {
        /* taken, but the session could not be put back as it was: give
         * the lock back rather than keep it for the session's life */
        err_buf kept = err_stash(&ctx->err);
        ctx->store->lock_generation = pg_generation(ctx);
        store_unlock(ctx);
        err_unstash(&ctx->err, &kept);
    }
    if (rc)
        return rc;
    if (!got)
        return lock_holder_error(ctx, k);
    ctx->store->lock_generation = pg_generation(ctx);
    return UM_OK;
}

/* The lock is held by the current session (a lost session dropped it). */
static bool holds_lock(const um_ctx *ctx)
{
    return ctx->store && ctx->store->lock_generation == pg_generation(ctx) && pg_connected(ctx);
}

void store_unlock(um_ctx *ctx)
{
    if (!holds_lock(ctx))
        return;
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)lock_key(ctx));
    const char *p = key;
    /* A failure here means the connection is gone, and the server dropped
     * the lock with the session. */
    pg_failure fail = { 0 };
    pg_query(ctx, "SELECT pg_advisory_unlock($1::bigint)", 1, &p, NULL, &fail);
    pg_failure_clear(&fail);
    ctx->store->lock_generation = 0;
}

/* ---- bookkeeping ---------------------------------------------------- */

static void append_id_list(um_ctx *ctx, strbuf *sb, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(sb, ", ");
        pg_append_literal(ctx, sb, ids[i]);
    }
}

/* Who ran a step: host, application_name, tool version (three values). */
static void append_origin(um_ctx *ctx, strbuf *sb)
{
    pg_append_literal(ctx, sb, ctx->store->host);
    sb_puts(sb, ", current_setting('application_name'), ");
    pg_append_literal(ctx, sb, UM_VERSION_STRING);
}

static void append_duration(strbuf *sb, double duration_ms)
{
    if (duration_ms < 0)
        sb_puts(sb, SQL_ELAPSED_MS);
    else
        sb_printf(sb, "%.3f", duration_ms);
}

static void append_history(um_ctx *ctx, strbuf *sb, const script_file *s, const char *direction,
                           double duration_ms)
{
    sb_printf(sb,
              "INSERT INTO %s (revision, direction, state, duration_ms, host,"
              " application_name, tool_version, checksum) VALUES (",
              ctx->store->history_table);
    pg_append_literal(ctx, sb, s->id);
    sb_printf(sb, ", '%s', 'ok', ", direction);
    append_duration(sb, duration_ms);
    sb_puts(sb, ", ");
    append_origin(ctx, sb);
    sb_puts(sb, ", ");
    pg_append_literal(ctx, sb, s->checksum);
    sb_puts(sb, ");\n");
}

static void append_applied_upsert(um_ctx *ctx, strbuf *sb, const script_file *s, const char *state,
                                  double duration_ms)
{
    sb_printf(sb,
              "INSERT INTO %s (revision, checksum, duration_ms, host,"
              " application_name, tool_version, state) VALUES (",
              ctx->store->applied_table);
    pg_append_literal(ctx, sb, s->id);
    sb_puts(sb, ", ");
    pg_append_literal(ctx, sb, s->checksum);
    sb_puts(sb, ", ");
    append_duration(sb, duration_ms);
    sb_puts(sb, ", ");
    append_origin(ctx, sb);
    sb_printf(sb,
              ", '%s') ON CONFLICT (revision) DO UPDATE SET"
              " checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at,"
              " duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by,"
              " host = EXCLUDED.host, application_name = EXCLUDED.application_name,"
              " tool_version = EXCLUDED.tool_version, state = EXCLUDED.state;\n",
              state);
}

/*
 * The bookkeeping of a step is one prepared statement (one per direction):
 * sent with the revision's SQL as an EXECUTE, it costs the server no
 * parsing or planning per revision, which is what made the bookkeeping of
 * a small revision (a DROP TABLE) cost as much as the revision itself.
 * Parameters: revision, heads (up: the parents to replace; down: the
 * parents that become heads), checksum, duration, host, tool version.
 */
#define STEP_UP_STATEMENT   "ultramigrate_step_up_v1"
#define STEP_DOWN_STATEMENT "ultramigrate_step_down_v1"
#define STEP_PARAMS         "(text, text[], text, double precision, text, text)"

static void append_history_values(um_ctx *ctx, strbuf *sb, const char *direction)
{
    sb_printf(sb,
              " INSERT INTO %s (revision, direction, state, duration_ms, host,"
              " application_name, tool_version, checksum)"
              " VALUES ($1, '%s', 'ok', $4, $5, current_setting('application_name'),"
              " $6, $3);\n",
              ctx->store->history_table, direction);
}

int store_prepare_steps(um_ctx *ctx)
{
    if (ctx->store->steps_generation == pg_generation(ctx))
        return UM_OK;
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "PREPARE " STEP_UP_STATEMENT " " STEP_PARAMS " AS"
              " WITH parents AS (DELETE FROM %s WHERE version_num = ANY ($2)),"
              " head AS (INSERT INTO %s (version_num) VALUES ($1)),"
              " applied AS (INSERT INTO %s (revision, checksum, duration_ms, host,"
              "  application_name, tool_version, state)"
              "  VALUES ($1, $3, $4, $5, current_setting('application_name'), $6, 'applied')"
              "  ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum,"
              "  applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms,"
              "  applied_by = EXCLUDED.applied_by, host = EXCLUDED.host,"
              "  application_name = EXCLUDED.application_name,"
              "  tool_version = EXCLUDED.tool_version, state = EXCLUDED.state)",
              ctx->store->version_table, ctx->store->version_table, ctx->store->applied_table);
    append_history_values(ctx, &sql, "up");
    sb_printf(&sql,
              "PREPARE " STEP_DOWN_STATEMENT " " STEP_PARAMS " AS"
              " WITH head AS (DELETE FROM %s WHERE version_num = $1),"
              " parents AS (INSERT INTO %s (version_num) SELECT unnest($2)"
              "  ON CONFLICT DO NOTHING),"
              " applied AS (DELETE FROM %s WHERE revision = $1)",
              ctx->store->version_table, ctx->store->version_table, ctx->store->applied_table);
    append_history_values(ctx, &sql, "down");
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    int rc = pg_exec(ctx, sb_str(&sql), NULL);
    sb_free(&sql);
    ctx->store->steps_generation = rc == UM_OK ? pg_generation(ctx) : 0;
    return rc;
}

/* A borrowed connection is left without the engine's statements. */
void store_unprepare_steps(um_ctx *ctx)
{
    if (!ctx->store || ctx->store->steps_generation != pg_generation(ctx) ||
        pg_owns_connection(ctx) || !pg_connected(ctx))
        return;
    pg_failure fail = { 0 };
    pg_exec(ctx, "DEALLOCATE " STEP_UP_STATEMENT "; DEALLOCATE " STEP_DOWN_STATEMENT ";", &fail);
    pg_failure_clear(&fail);
    ctx->store->steps_generation = 0;
}

bool store_append_step_record(um_ctx *ctx, strbuf *sb, const script_file *s, um_direction dir,
                              const char *const *heads, size_t n_heads, double duration_ms)
{
    sb_printf(sb, "EXECUTE %s (", dir == UM_UP ? STEP_UP_STATEMENT : STEP_DOWN_STATEMENT);
    pg_append_literal(ctx, sb, s->id);
    sb_puts(sb, ", ARRAY[");
    append_id_list(ctx, sb, heads, n_heads);
    sb_puts(sb, "]::text[], ");
    pg_append_literal(ctx, sb, s->checksum);
    sb_puts(sb, ", ");
    append_duration(sb, duration_ms);
    sb_puts(sb, ", ");
    pg_append_literal(ctx, sb, ctx->store->host);
    sb_puts(sb, ", ");
    pg_append_literal(ctx, sb, UM_VERSION_STRING);
    sb_puts(sb, ");\n");
    return !sb_failed(sb) && ctx->err.d.code == 0;
}

int store_mark_in_progress(um_ctx *ctx, const script_file *s)
{
    strbuf sql = STRBUF_INIT;
    append_applied_upsert(ctx, &sql, s, "in_progress", 0);
    if (sb_failed(&sql) || ctx->err.d.code) {
        sb_free(&sql);
        return ctx->err.d.code ? ctx->err.d.code : err_nomem(&ctx->err);
    }
    int rc = pg_exec(ctx, sb_str(&sql), NULL);
    sb_free(&sql);
    return rc;
}

int store_record_failure(um_ctx *ctx, const script_file *s, um_direction dir, double duration_ms,
                         const char *error, bool mark_failed)
{
    char dur[32];
    snprintf(dur, sizeof(dur), "%.3f", duration_ms);
    const char *params[7] = {
        s->id, dir == UM_UP ? "up" : "down", dur, ctx->store->host, UM_VERSION_STRING, s->checksum,
        error
    };
    strbuf sql = STRBUF_INIT;
    /* One statement (parameters allow no more): the applied row's update
     * rides along as a data-modifying CTE. */
    if (mark_failed)
        sb_printf(&sql,
                  "WITH mark AS (UPDATE %s SET state = 'failed'"
                  " WHERE revision = $1 RETURNING 1) ",
                  ctx->store->applied_table);
    sb_printf(&sql,
              "INSERT INTO %s (revision, direction, state, duration_ms, host,"
              " application_name, tool_version, checksum, error)"
              " VALUES ($1, $2, 'failed', $3::double precision, $4,"
              " current_setting('application_name'), $5, $6, $7)",
              ctx->store->history_table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    pg_failure fail = { 0 };
    int rc = pg_query(ctx, sb_str(&sql), 7, params, NULL, &fail);
    if (rc)
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "could not record the failure of %s in the history: %s", s->id,
                   fail.message ? fail.message : "unknown error");
    pg_failure_clear(&fail);
    sb_free(&sql);
    return rc;
}

int store_stamp(um_ctx *ctx, const script_file *const *heads, size_t n_heads,
                const script_file *const *applied, size_t n_applied)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql, "BEGIN;\nDELETE FROM %s;\n", ctx->store->version_table);
    for (size_t i = 0; i < n_heads; i++) {
        sb_printf(&sql, "INSERT INTO %s (version_num) VALUES (", ctx->store->version_table);
        pg_append_literal(ctx, &sql, heads[i]->id);
        sb_puts(&sql, ");\n");
    }
    sb_printf(&sql, "DELETE FROM %s", ctx->store->applied_table);
    for (size_t i = 0; i < n_applied; i++) {
        sb_puts(&sql, i ? ", " : " WHERE revision NOT IN (");
        pg_append_literal(ctx, &sql, applied[i]->id);
    }
    sb_puts(&sql, n_applied ? ");\n" : ";\n");
    for (size_t i = 0; i < n_applied; i++) {
        sb_printf(&sql,
                  "INSERT INTO %s (revision, checksum, host, application_name,"
                  " tool_version, state) VALUES (",
                  ctx->store->applied_table);
        pg_append_literal(ctx, &sql, applied[i]->id);
        sb_puts(&sql, ", ");
        pg_append_literal(ctx, &sql, applied[i]->checksum);
        sb_puts(&sql, ", ");
        append_origin(ctx, &sql);
        sb_puts(&sql, ", 'applied') ON CONFLICT (revision) DO NOTHING;\n");
    }
    for (size_t i = 0; i < n_heads; i++)
        append_history(ctx, &sql, heads[i], "stamp", 0);
    sb_puts(&sql, "COMMIT;\n");
    if (sb_failed(&sql) || ctx->err.d.code) {
        sb_free(&sql);
        return ctx->err.d.code ? ctx->err.d.code : err_nomem(&ctx->err);
    }
    pg_failure fail = { 0 };
    int rc = pg_exec(ctx, sb_str(&sql), &fail);
    sb_free(&sql);
    if (rc) {
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "stamp failed");
        pg_exec(ctx, "ROLLBACK", NULL);
    }
    pg_failure_clear(&fail);
    return rc;
}

/*
 * After a run the tables' statistics are stale (a fresh database has
 * none): the health query's plan would read the whole applied table
 * instead of the partial index.  They are tiny, so ANALYZE is cheap.
 */
void store_analyze(um_ctx *ctx)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql, "ANALYZE %s, %s, %s", ctx->store->version_table, ctx->store->applied_table,
              ctx->store->history_table);
    pg_failure fail = { 0 };
    if (sb_str(&sql) && pg_connected(ctx) && pg_exec(ctx, sb_str(&sql), &fail) != UM_OK)
        log_printf(&ctx->log, UM_LOG_DEBUG, "ANALYZE of the bookkeeping tables failed: %s",
                   fail.message ? fail.message : "unknown error");
    pg_failure_clear(&fail);
    sb_free(&sql);
}

/* ---- history -------------------------------------------------------- */

static void history_entry_free(um_history_entry *e)
{
    free((char *)e->revision);
    free((char *)e->direction);
    free((char *)e->state);
    free((char *)e->started_at);
    free((char *)e->applied_by);
    free((char *)e->host);
    free((char *)e->application_name);
    free((char *)e->tool_version);
    free((char *)e->error);
}

void um_history_free(um_history_list *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->count; i++)
        history_entry_free(&h->entries[i]);
    free(h->entries);
    free(h);
}

static bool read_history_row(const pg_rows *rows, size_t row, um_history_entry *e)
{
    const char *dur = pg_rows_value(rows, row, 5);
    e->id = strtoll(pg_rows_value(rows, row, 0), NULL, 10);
    e->revision = util_strdup_null(pg_rows_value(rows, row, 1));
    e->direction = util_strdup_null(pg_rows_value(rows, row, 2));
    e->state = util_strdup_null(pg_rows_value(rows, row, 3));
    e->started_at = util_strdup_null(pg_rows_value(rows, row, 4));
    e->duration_ms = dur ? strtod(dur, NULL) : 0;
    e->applied_by = util_strdup_null(pg_rows_value(rows, row, 6));
    e->host = util_strdup_null(pg_rows_value(rows, row, 7));
    e->application_name = util_strdup_null(pg_rows_value(rows, row, 8));
    e->tool_version = util_strdup_null(pg_rows_value(rows, row, 9));
    e->error = util_strdup_null(pg_rows_value(rows, row, 10));
    return e->revision && e->direction && e->state && e->started_at;
}

int store_read_history(um_ctx *ctx, size_t limit, um_history_list **out)
{
    *out = NULL;
    int rc = store_connect(ctx);
    if (rc)
        return rc;
    char lim[32];
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *p = limit ? lim : NULL;
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT * FROM (SELECT id, revision, direction, state,"
              " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
              " duration_ms::text, applied_by, host, application_name, tool_version, error"
              " FROM %s ORDER BY id DESC LIMIT $1::bigint) h ORDER BY id",
              ctx->store->history_table);
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);

    um_history_list *h = calloc(1, sizeof(*h));
    pg_rows *rows = NULL;
    pg_failure fail = { 0 };
    rc = h ? pg_query(ctx, sb_str(&sql), 1, &p, &rows, &fail) : err_nomem(&ctx->err);
    sb_free(&sql);
    if (rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0)
        rc = UM_OK; /* never migrated: an empty history */
    else if (rc == UM_ESQL || rc == UM_ECONNECT)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "cannot read the history");
    pg_failure_clear(&fail);

    size_t n = pg_rows_count(rows);
    if (!rc && n) {
        h->entries = calloc(n, sizeof(*h->entries));
        rc = h->entries ? UM_OK : err_nomem(&ctx->err);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        h->count++;
        if (!read_history_row(rows, i, &h->entries[i]))
            rc = err_nomem(&ctx->err);
    }
    pg_rows_free(rows);
    if (rc)
        um_history_free(h);
    else
        *out = h;
    return rc;
}
