/*
 * health.c - um_health_snapshot(): the database's migration status for a
 * host's health endpoint, in one round trip and without file I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "internal.h"
#include "pg.h"
#include "store.h"
#include "strbuf.h"
#include "util.h"

struct health_cache {
    long long history_id;                 /* newest history id when last refreshed; -1: never */
    char *heads;                          /* version rows as "a,b", as last counted */
    size_t pending;                       /* for @heads */
    char unknown_head[UM_HEALTH_ID_SIZE]; /* a version row no file defines */
    size_t n_diverged;
    char diverged[UM_HEALTH_ID_SIZE]; /* the first of them */
    size_t n_unknown;                 /* applied rows no file defines */
    char unknown[UM_HEALTH_ID_SIZE];
    char last_applied[UM_HEALTH_ID_SIZE];
    char last_applied_at[40];
    unsigned long prepared_generation; /* the query is prepared on that session; 0: no */
    /* Its name, unique per handle: handles that share a borrowed
     * connection must not run each other's query. */
    char statement[64];
};

/* What the one query of a snapshot returns. */
typedef struct health_row {
    long long history_id;      /* newest history entry, 0: none */
    bool last_failed;          /* ... and it is a failure */
    const char *last_revision; /* ... of this revision */
    const char *heads;         /* "a,b" or NULL */
    const char *unfinished;    /* "rev state,rev state" or NULL */
} health_row;

static bool query_prepared(const um_ctx *ctx)
{
    return ctx->health->prepared_generation == pg_generation(ctx) && pg_connected(ctx);
}

void health_cache_free(um_ctx *ctx)
{
    struct health_cache *c = ctx->health;
    if (!c)
        return;
    if (query_prepared(ctx) && !pg_owns_connection(ctx)) {
        /* the host's session is left without the engine's statement */
        char sql[96];
        pg_failure fail = { 0 };
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", c->statement);
        pg_exec(ctx, sql, &fail);
        pg_failure_clear(&fail);
    }
    free(c->heads);
    free(c);
    ctx->health = NULL;
}

static void copy_id(char dst[UM_HEALTH_ID_SIZE], const char *src, size_t len)
{
    if (len >= UM_HEALTH_ID_SIZE)
        len = UM_HEALTH_ID_SIZE - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- the query -------------------------------------------------------- */

static int prepare_health_query(um_ctx *ctx, pg_failure *fail)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT h.id, h.state, h.revision,"
              " (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM %s),"
              " (SELECT string_agg(revision || ' ' || state, ',' ORDER BY revision)"
              "  FROM %s WHERE state <> 'applied')"
              " FROM (SELECT 1) one LEFT JOIN LATERAL"
              " (SELECT id, state, revision FROM %s ORDER BY id DESC LIMIT 1) h ON true",
              store_table(ctx, STORE_VERSION), store_table(ctx, STORE_APPLIED),
              store_table(ctx, STORE_HISTORY));
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    int rc = pg_prepare(ctx, ctx->health->statement, sb_str(&sql), fail);
    sb_free(&sql);
    ctx->health->prepared_generation = rc == UM_OK ? pg_generation(ctx) : 0;
    return rc;
}

/*
 * Runs the snapshot's query.  It is prepared once per connection: parsing
 * and planning it each time would cost more than the round trip.  A host
 * that ran DISCARD ALL on a borrowed connection loses it: prepared again.
 */
static int run_health_query(um_ctx *ctx, pg_rows **rows, pg_failure *fail)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = query_prepared(ctx) ? UM_OK : prepare_health_query(ctx, fail);
        if (rc)
            return rc;
        rc = pg_query_prepared(ctx, ctx->health->statement, 0, NULL, rows, fail);
        if (rc != UM_ESQL || !fail->sqlstate ||
            strcmp(fail->sqlstate, SQLSTATE_NO_SUCH_STATEMENT) != 0)
            return rc;
        ctx->health->prepared_generation = 0;
        pg_failure_clear(fail);
    }
    return UM_ESQL;
}

/* ---- what changes rarely: read again when the history moved ------------- */

static void note_applied_row(um_ctx *ctx, struct health_cache *c, const char *rev,
                             const char *checksum, const char *at)
{
    long idx = graph_find(ctx->graph, rev);
    if (idx < 0) {
        if (c->n_unknown++ == 0)
            copy_id(c->unknown, rev, strlen(rev));
    } else if (!checksum || strcmp(graph_script(ctx->graph, (size_t)idx)->checksum, checksum)) {
        if (c->n_diverged++ == 0)
            copy_id(c->diverged, rev, strlen(rev));
    }
    copy_id(c->last_applied, rev, strlen(rev));
    snprintf(c->last_applied_at, sizeof(c->last_applied_at), "%s", at ? at : "");
}

static int refresh(um_ctx *ctx, struct health_cache *c, long long history_id)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql,
              "SELECT revision, checksum,"
              " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
              " FROM %s WHERE state = 'applied' ORDER BY applied_at, revision",
              store_table(ctx, STORE_APPLIED));
    if (sb_failed(&sql))
        return err_nomem(&ctx->err);
    pg_rows *rows = NULL;
    int rc = pg_query(ctx, sb_str(&sql), 0, NULL, &rows, NULL);
    sb_free(&sql);
    if (rc)
        return rc;
    c->n_diverged = c->n_unknown = 0;
    c->last_applied[0] = c->last_applied_at[0] = '\0';
    for (size_t i = 0; i < pg_rows_count(rows); i++)
        note_applied_row(ctx, c, pg_rows_value(rows, i, 0), pg_rows_value(rows, i, 1),
                         pg_rows_value(rows, i, 2));
    pg_rows_free(rows);
    c->history_id = history_id;
    return UM_OK;
}

/* The database no longer has what the cache learnt. */
static void forget(struct health_cache *c)
{
    c->history_id = -1;
    c->n_diverged = c->n_unknown = 0;
    c->last_applied[0] = c->last_applied_at[0] = '\0';
}

/* Pending revisions for the version rows @heads ("a,b"), counted again
 * only when they changed. */
static int count_pending(um_ctx *ctx, struct health_cache *c, const char *heads)
{
    if (c->heads && strcmp(c->heads, heads) == 0)
        return UM_OK;
    size_t n = graph_count(ctx->graph);
    unsigned char *applied = util_calloc(n, 1);
    char *copy = strdup(heads);
    if (!applied || !copy) {
        free(applied);
        free(copy);
        return err_nomem(&ctx->err);
    }
    c->unknown_head[0] = '\0';
    for (char *save = NULL, *id = strtok_r(copy, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        long idx = graph_find(ctx->graph, id);
        if (idx >= 0)
            graph_mark_ancestors(ctx->graph, (size_t)idx, applied);
        else if (!c->unknown_head[0])
            copy_id(c->unknown_head, id, strlen(id));
    }
    c->pending = 0;
    for (size_t i = 0; i < n; i++)
        c->pending += !applied[i];
    free(applied);
    free(c->heads);
    c->heads = copy;
    strcpy(copy, heads); /* strtok_r cut it */
    return UM_OK;
}

/* ---- the snapshot ----------------------------------------------------- */

static void list_heads(const char *heads, char out[][UM_HEALTH_ID_SIZE], size_t *n)
{
    *n = 0;
    for (const char *p = heads; p && *p;) {
        size_t len = strcspn(p, ",");
        if (*n < UM_HEALTH_MAX_HEADS)
            copy_id(out[*n], p, len);
        (*n)++;
        p += len + (p[len] == ',');
    }
}

static void list_expected(const um_ctx *ctx, um_health *h)
{
    size_t n = 0;
    const size_t *heads = graph_heads(ctx->graph, &n);
    h->n_expected_heads = n;
    for (size_t i = 0; i < n && i < UM_HEALTH_MAX_HEADS; i++) {
        const char *id = graph_script(ctx->graph, heads[i])->id;
        copy_id(h->expected_heads[i], id, strlen(id));
    }
}

/* The first unfinished revision of "rev state,rev state". */
static void describe_unfinished(um_health *h, const char *unfinished)
{
    size_t len = strcspn(unfinished, ",");
    snprintf(h->message, sizeof(h->message), "revision %.*s: a run did not finish it", (int)len,
             unfinished);
    const char *sp = memchr(unfinished, ' ', len);
    if (sp)
        snprintf(h->message, sizeof(h->message), "revision %.*s %s", (int)(sp - unfinished),
                 unfinished, strncmp(sp + 1, "failed", 6) == 0 ? "failed" : "is still in progress");
}

/* Worst first: a broken run (a revision left unfinished, or the newest
 * history entry a failure), then files edited after apply, then a
 * database newer than the files, then work to do. */
static void decide(um_health *h, const struct health_cache *c, const health_row *row)
{
    if (row->unfinished) {
        h->status = UM_HEALTH_FAILED;
        describe_unfinished(h, row->unfinished);
    } else if (row->last_failed) {
        /* a transactional revision leaves no row behind when it fails: the
         * history's newest entry is what tells of the failed run */
        h->status = UM_HEALTH_FAILED;
        snprintf(h->message, sizeof(h->message),
                 "the last run failed at revision %s; see the history", row->last_revision);
    } else if (c->n_diverged) {
        h->status = UM_HEALTH_DIVERGED;
        snprintf(h->message, sizeof(h->message),
                 "revision %s changed after it was applied (%zu revision%s)", c->diverged,
                 c->n_diverged, c->n_diverged == 1 ? "" : "s in all");
    } else if (c->unknown_head[0] || c->n_unknown) {
        h->status = UM_HEALTH_AHEAD;
        h->pending = 0; /* cannot be planned: the files miss revisions */
        snprintf(h->message, sizeof(h->message),
                 "the database has revision %s, which no file defines",
                 c->unknown_head[0] ? c->unknown_head : c->unknown);
    } else if (c->pending) {
        h->status = UM_HEALTH_PENDING;
        snprintf(h->message, sizeof(h->message), "%zu revision%s to apply", c->pending,
                 c->pending == 1 ? "" : "s");
    } else {
        h->status = UM_HEALTH_OK;
        snprintf(h->message, sizeof(h->message), "at the head of the revision files");
    }
}

/* libpq's messages span lines ("...failed\n\tIs the server running"):
 * the snapshot's message is one line. */
static void one_line(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        bool blank = *r == '\n' || *r == '\t' || *r == '\r' || *r == ' ';
        if (!blank)
            *w++ = *r;
        else if (w > s && w[-1] != ' ')
            *w++ = ' ';
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

static void unreachable(um_health *h, const char *why)
{
    h->status = UM_HEALTH_UNREACHABLE;
    h->pending = 0; /* unknown: nothing was read */
    snprintf(h->message, sizeof(h->message), "%s", why);
    one_line(h->message);
}

static void stamp_time(um_health *h)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(h->taken_at, sizeof(h->taken_at), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(h->taken_at + n, sizeof(h->taken_at) - n, ".%03dZ", (int)(ts.tv_nsec / 1000000L));
}

/* Takes the snapshot once connected; UM_ECONNECT/UM_ESQL: unreachable. */
static int observe(um_ctx *ctx, um_health *h)
{
    struct health_cache *c = ctx->health;
    pg_rows *rows = NULL;
    pg_failure fail = { 0 };
    health_row row;
    memset(&row, 0, sizeof(row));

    int rc = store_connect(ctx);
    if (rc)
        return rc;
    double t0 = util_now_ms();
    rc = run_health_query(ctx, &rows, &fail);
    h->round_trip_ms = util_now_ms() - t0;
    if (rc == UM_ESQL && fail.sqlstate && strcmp(fail.sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0) {
        rc = UM_OK; /* never migrated (or the tables were dropped): start afresh */
        forget(c);
    } else if (rc == UM_ESQL || rc == UM_ECONNECT)
        pg_failure_to_error(ctx, &fail, NULL, 0, NULL, "health query failed");
    pg_failure_clear(&fail);
    if (!rc && rows) {
        const char *id = pg_rows_value(rows, 0, 0), *state = pg_rows_value(rows, 0, 1);
        row.history_id = id ? strtoll(id, NULL, 10) : 0;
        row.last_failed = state && strcmp(state, "failed") == 0;
        row.last_revision = pg_rows_value(rows, 0, 2);
        row.heads = pg_rows_value(rows, 0, 3);
        row.unfinished = pg_rows_value(rows, 0, 4);
    }
    if (!rc && rows && row.history_id != c->history_id)
        rc = refresh(ctx, c, row.history_id);
    if (!rc)
        rc = count_pending(ctx, c, row.heads ? row.heads : "");
    if (!rc) {
        list_heads(row.heads, h->current_heads, &h->n_current_heads);
        snprintf(h->last_applied, sizeof(h->last_applied), "%s", c->last_applied);
        snprintf(h->last_applied_at, sizeof(h->last_applied_at), "%s", c->last_applied_at);
        h->pending = c->pending;
        decide(h, c, &row);
    }
    pg_rows_free(rows);
    return rc;
}

static int ensure_cache(um_ctx *ctx)
{
    if (ctx->health)
        return UM_OK;
    ctx->health = calloc(1, sizeof(*ctx->health));
    if (!ctx->health)
        return err_nomem(&ctx->err);
    forget(ctx->health);
    snprintf(ctx->health->statement, sizeof(ctx->health->statement), "ultramigrate_health_%p",
             (void *)ctx);
    return UM_OK;
}

int um_health_snapshot(um_ctx *ctx, um_health *out)
{
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_health_snapshot: out is NULL");
    if (out->version != UM_HEALTH_VERSION)
        return ctx_error(ctx, UM_EVERSION, NULL, 0, NULL,
                         "um_health version %u is not supported (expected %u)", out->version,
                         UM_HEALTH_VERSION);
    memset(out, 0, sizeof(*out));
    out->version = UM_HEALTH_VERSION;
    stamp_time(out);
    list_expected(ctx, out);
    out->pending = graph_count(ctx->graph);

    int rc = ensure_cache(ctx);
    if (rc)
        return rc;
    rc = observe(ctx, out);
    if (rc == UM_ENOMEM)
        return rc;
    if (rc)
        unreachable(out, um_errmsg(ctx));
    err_clear(&ctx->err); /* the snapshot holds the reason */
    return UM_OK;
}

int um_health_init(um_health *h, unsigned int version)
{
    if (!h || version != UM_HEALTH_VERSION)
        return UM_EINVAL;
    memset(h, 0, sizeof(*h));
    h->version = version;
    return UM_OK;
}

const char *um_health_status_name(um_health_status status)
{
    static const char *const names[] = { "ok",    "pending",  "failed",
                                         "ahead", "diverged", "unreachable" };
    if ((unsigned)status < sizeof(names) / sizeof(names[0]))
        return names[status];
    return "unknown";
}
