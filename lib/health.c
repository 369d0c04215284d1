/*
 * health.c - um_health_snapshot(): the database's migration status for a
 * host's health endpoint, in one round trip and without file I/O (two
 * when a revision is left in progress: is a run applying it?).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "internal.h"
#include "lock.h"
#include "pg.h"
#include "plan.h"
#include "store.h"
#include "strbuf.h"
#include "util.h"

struct health_cache {
    long long history_id;            /* newest history id when last refreshed; -1: never */
    char *heads;                     /* version rows as "a,b" when last refreshed */
    size_t pending;                  /* as plan_classify counts them */
    size_t n_missing;                /* applied, no file defines them */
    char missing[UM_HEALTH_ID_SIZE]; /* the first of them */
    size_t n_diverged;
    char diverged[UM_HEALTH_ID_SIZE]; /* the first of them */
    char last_applied[UM_HEALTH_ID_SIZE];
    char last_applied_at[40];
};

void health_cache_free(um_ctx *ctx)
{
    if (!ctx->health)
        return;
    free(ctx->health->heads);
    free(ctx->health);
    ctx->health = NULL;
}

static void copy_id(char dst[UM_HEALTH_ID_SIZE], const char *src, size_t len)
{
    if (len >= UM_HEALTH_ID_SIZE)
        len = UM_HEALTH_ID_SIZE - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- what changes rarely: read again when the history or heads moved ---- */

static void note_applied_row(um_ctx *ctx, struct health_cache *c, const um_applied *a)
{
    long idx = graph_find(ctx->graph, a->revision);
    if (idx >= 0 && !script_checksum_matches(graph_script(ctx->graph, (size_t)idx), a->checksum)) {
        if (c->n_diverged++ == 0)
            copy_id(c->diverged, a->revision, strlen(a->revision));
    }
    copy_id(c->last_applied, a->revision, strlen(a->revision));
    /* to the second, as a health check shows it: "2026-11-26T12:56:01Z" */
    snprintf(c->last_applied_at, sizeof(c->last_applied_at), "%.19sZ",
             a->applied_at ? a->applied_at : "");
}

/* The counts (plan_classify, as status has them), checksums and the
 * newest applied revision, from the state (oldest first). */
static int refresh(um_ctx *ctx, struct health_cache *c, const store_summary *row)
{
    store_state st;
    plan_counts counts;
    char *heads = strdup(row->heads ? row->heads : "");
    int rc = heads ? store_read_state(ctx, &st) : err_nomem(&ctx->err);
    if (rc) {
        free(heads);
        return rc;
    }
    rc = plan_classify(ctx, &st, &counts, NULL);
    c->n_diverged = 0;
    c->last_applied[0] = c->last_applied_at[0] = c->missing[0] = '\0';
    c->pending = counts.pending;
    c->n_missing = counts.missing;
    if (counts.first_missing)
        copy_id(c->missing, counts.first_missing, strlen(counts.first_missing));
    for (size_t i = 0; i < st.n_applied; i++)
        if (!store_row_unfinished(&st.applied[i]))
            note_applied_row(ctx, c, &st.applied[i]);
    store_state_free(&st);
    free(c->heads);
    c->heads = heads;
    c->history_id = row->tables_exist ? row->history_id : 0;
    return rc;
}

/* Whether the cache still describes the database of @row. */
static bool cache_current(const struct health_cache *c, const store_summary *row)
{
    long long id = row->tables_exist ? row->history_id : 0;
    return c->heads && c->history_id == id && strcmp(c->heads, row->heads ? row->heads : "") == 0;
}

/* The database no longer has what the cache learnt. */
static void forget(struct health_cache *c)
{
    free(c->heads);
    c->heads = NULL;
    c->history_id = -1;
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

/* What the migration lock says of the revisions left unfinished. */
struct run_probe {
    bool asked;        /* every one is in progress: the lock was looked at */
    bool held;         /* ... and another session holds it: a run is applying them */
    const char *error; /* ... or why it could not be looked at, NULL */
};

/* Whether every item of "rev state,rev state" is in progress. */
static bool all_in_progress(const char *unfinished)
{
    static const char state[] = " in_progress";
    for (const char *p = unfinished; *p;) {
        size_t len = strcspn(p, ",");
        const char *sp = memchr(p, ' ', len);
        if (!sp || (size_t)(p + len - sp) != strlen(state) || strncmp(sp, state, strlen(state)))
            return false;
        p += len + (p[len] == ',');
    }
    return true;
}

/*
 * Every revision left unfinished is in progress: a run applying it holds
 * the migration lock, and has held it since before it marked the
 * revision; a killed one holds nothing, and a session that took the lock
 * after (a backup, a run about to refuse the revision) is not that run.
 * Looked at only then, so that a snapshot stays one query otherwise; the
 * reason a look failed goes in the message (the state itself was read:
 * not unreachable).
 */
static int probe_run(um_ctx *ctx, const store_summary *row, struct run_probe *run)
{
    if (!row->unfinished || !all_in_progress(row->unfinished))
        return UM_OK;
    run->asked = true;
    int rc = lock_probe_run(ctx, &run->held);
    if (rc == UM_ENOMEM)
        return rc;
    if (rc)
        run->error = um_errmsg(ctx);
    return UM_OK;
}

/* The first unfinished revision of "rev state,rev state". */
static void describe_unfinished(um_health *h, const char *unfinished, const struct run_probe *run)
{
    size_t len = strcspn(unfinished, ",");
    const char *sp = memchr(unfinished, ' ', len);
    int id_len = sp ? (int)(sp - unfinished) : (int)len;
    if (!sp)
        snprintf(h->message, sizeof(h->message), "revision %.*s: a run did not finish it", id_len,
                 unfinished);
    else if (strncmp(sp + 1, "failed", 6) == 0)
        snprintf(h->message, sizeof(h->message), "revision %.*s failed", id_len, unfinished);
    else if (run->error) {
        snprintf(h->message, sizeof(h->message),
                 "revision %.*s is in progress; whether a run holds the migration lock is not"
                 " known (%s)",
                 id_len, unfinished, run->error);
        util_one_line(h->message);
    } else if (run->asked)
        snprintf(h->message, sizeof(h->message),
                 "revision %.*s is in progress, but the run that began it no longer holds the"
                 " migration lock: it was killed",
                 id_len, unfinished);
    else
        snprintf(h->message, sizeof(h->message), "revision %.*s is still in progress", id_len,
                 unfinished);
}

/* Worst first: a broken run (a revision left unfinished with no run on
 * it, or the newest history entry a failure), then files edited after
 * apply, then a database newer than the files, then work to do (left by a
 * cancelled run, or not).  A run applying what is unfinished is work
 * being done, whatever came before it. */
static void decide(um_health *h, const struct health_cache *c, const store_summary *row,
                   const struct run_probe *run)
{
    bool last_failed = row->last_state && strcmp(row->last_state, "failed") == 0;
    bool last_cancelled = row->last_state && strcmp(row->last_state, "cancelled") == 0;
    if (row->unfinished && run->held) {
        h->status = UM_HEALTH_MIGRATING;
        snprintf(h->message, sizeof(h->message),
                 "revision %.*s is being applied: a run holds the migration lock",
                 (int)strcspn(row->unfinished, " ,"), row->unfinished);
    } else if (row->unfinished) {
        h->status = UM_HEALTH_FAILED;
        describe_unfinished(h, row->unfinished, run);
    } else if (last_failed) {
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
    } else if (c->n_missing) {
        h->status = UM_HEALTH_AHEAD;
        snprintf(h->message, sizeof(h->message),
                 "the database has revision %s, which no file defines", c->missing);
    } else if (last_cancelled && c->pending) {
        /* stopped on purpose with nothing half done: the next run goes on */
        h->status = UM_HEALTH_CANCELLED;
        snprintf(h->message, sizeof(h->message),
                 "the last run was cancelled at revision %s; %zu revision%s to apply",
                 row->last_revision, c->pending, c->pending == 1 ? "" : "s");
    } else if (c->pending) {
        h->status = UM_HEALTH_PENDING;
        snprintf(h->message, sizeof(h->message), "%zu revision%s to apply", c->pending,
                 c->pending == 1 ? "" : "s");
    } else {
        h->status = UM_HEALTH_OK;
        snprintf(h->message, sizeof(h->message), "at the head of the revision files");
    }
}

static void unreachable(um_health *h, const char *why)
{
    h->status = UM_HEALTH_UNREACHABLE;
    h->pending = 0; /* unknown: nothing was read */
    snprintf(h->message, sizeof(h->message), "%s", why);
    util_one_line(h->message);
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

/* Takes the snapshot; UM_ECONNECT/UM_ECONNLOST/UM_ESQL: unreachable. */
static int observe(um_ctx *ctx, um_health *h)
{
    struct health_cache *c = ctx->health;
    store_summary row;
    struct run_probe run;
    int rc;
    /* a run that ends between the read of the state and the look at the
     * lock leaves its row gone and the lock free: the state is read again */
    for (int attempt = 0;; attempt++) {
        double t0 = util_now_ms();
        rc = store_read_summary(ctx, &row);
        h->round_trip_ms = util_now_ms() - t0;
        if (!rc && !cache_current(c, &row))
            rc = refresh(ctx, c, &row);
        run = (struct run_probe){ false, false, NULL };
        if (!rc)
            rc = probe_run(ctx, &row, &run);
        if (rc || attempt || !run.asked || run.held || run.error)
            break;
        store_summary_free(&row);
    }
    if (!rc) {
        list_heads(row.heads, h->current_heads, &h->n_current_heads);
        snprintf(h->last_applied, sizeof(h->last_applied), "%s", c->last_applied);
        snprintf(h->last_applied_at, sizeof(h->last_applied_at), "%s", c->last_applied_at);
        h->pending = c->pending;
        decide(h, c, &row, &run);
    }
    store_summary_free(&row);
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
    return UM_OK;
}

int um_health_snapshot(um_health *out, um_ctx *ctx)
{
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_health_snapshot: out is NULL");
    int rc = err_check_version(&ctx->err, "um_health", out->version, UM_HEALTH_VERSION);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->version = UM_HEALTH_VERSION;
    stamp_time(out);
    list_expected(ctx, out);
    out->pending = graph_count(ctx->graph);

    rc = ensure_cache(ctx);
    if (!rc)
        rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    /* a probe answers at once: never queued behind a lock on the tables */
    pg_set_statement_timeout(ctx, ctx->cfg.health_timeout_ms, "health_timeout");
    rc = observe(ctx, out);
    pg_call_end(ctx);
    if (rc == UM_ENOMEM)
        return rc;
    if (rc)
        unreachable(out, um_errmsg(ctx));
    util_utf8_trim(out->message); /* cut to its size, not inside a character */
    err_clear(&ctx->err);         /* the snapshot holds the reason */
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
    static const char *const names[] = { "ok",       "pending",     "failed",    "ahead",
                                         "diverged", "unreachable", "cancelled", "migrating" };
    if ((unsigned)status < sizeof(names) / sizeof(names[0]))
        return names[status];
    return "unknown";
}
