/*
 * restore.c - restoring a backup with pg_restore or psql.
 *
 * The file is checked against its manifest before anything else, so that
 * a damaged backup is refused before the operator is asked; the migration
 * lock is then held until the restore is recorded, so that no upgrade runs
 * into a database being replaced.  Both programs run the restore as one
 * transaction: a failure leaves the database as it was.
 *
 * Plain SQL with a manifest is the exception to checking first: hashing
 * the whole file before psql starts cost as much as the rest of the
 * wrapper, so psql gets the file through sqlfeed while it is hashed, and
 * only a file that matches commits (sqlfeed.h says how).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "lock.h"
#include "manifest.h"
#include "pg.h"
#include "pgtool.h"
#include "sqlfeed.h"
#include "store.h"
#include "strbuf.h"
#include "util.h"

/* The first bytes of every pg_dump archive. */
#define ARCHIVE_MAGIC "PGDMP"
/* How often the run's own session is asked whether it is still there
 * while the program restores. */
#define SESSION_CHECK_MS 1000

typedef struct restore_job {
    um_ctx *ctx;
    const um_restore_options *opts;
    double started;
    double reported;         /* when the progress callback was last called */
    double checked;          /* when the run's session was last checked, 0: never */
    char *session_lost;      /* why the run's session is gone; NULL: it is not */
    bool session_lost_nomem; /* it is, but saying why ran out of memory */
    um_backup_info manifest; /* path and manifest_path always; the rest when read */
    bool has_manifest;       /* manifest read */
    int verified;
    um_backup_format format;
    bool stream; /* plain SQL checked while psql reads it (sqlfeed) */
    sqlfeed *feed;
    pgtool tool;
    pthread_t version_thread; /* reading tool's version */
    bool reading;
    int version_rc;
    err_buf version_err;
    pgtool_conn conn;
    store_state after;
} restore_job;

static int report(restore_job *j, um_backup_phase phase)
{
    if (!j->opts->progress_cb)
        return 0;
    struct stat st;
    uint64_t size = stat(j->manifest.path, &st) == 0 ? (uint64_t)st.st_size : 0;
    um_backup_progress p = { phase, j->manifest.path, size, util_now_ms() - j->started };
    j->reported = util_now_ms();
    err_buf kept;
    host_guard_enter(&j->ctx->guard, &kept);
    int stop = j->opts->progress_cb(&p, j->opts->progress_payload);
    host_guard_leave(&j->ctx->guard, &kept);
    return stop;
}

/*
 * The run's own session holds the migration lock (advisory: the lock
 * went with it) and is to record the restore: once it is gone (an
 * idle_session_timeout, pg_terminate_backend), the program restoring is
 * stopped, so that it does not commit a restore that no lock guards and
 * no history will show.  Non-zero then, the reason in j->session_lost.
 */
static int check_session(restore_job *j)
{
    pg_failure f = { 0 };
    j->checked = util_now_ms();
    int rc = pg_exec(j->ctx, "SELECT 1", &f);
    if (rc == UM_ECONNLOST && !j->session_lost) {
        j->session_lost = strdup(f.message ? f.message : um_strerror(rc));
        j->session_lost_nomem = !j->session_lost;
    }
    pg_failure_clear(&f);
    return rc == UM_ECONNLOST;
}

static int restoring_tick(void *payload)
{
    restore_job *j = payload;
    if (util_now_ms() - j->reported >= BACKUP_PROGRESS_MS && report(j, UM_BACKUP_RESTORING))
        return 1;
    if (util_now_ms() - j->checked < SESSION_CHECK_MS)
        return 0;
    return check_session(j);
}

/* ---- the checks before ------------------------------------------------ */

/* A backup that failed its check: refused, or with force a warning. */
static int unverified(restore_job *j, const char *why)
{
    if (j->opts->force) {
        log_printf(&j->ctx->log, UM_LOG_WARNING, "%s: %s; restoring it anyway (force)",
                   j->manifest.path, why);
        return UM_OK;
    }
    return ctx_error(j->ctx, UM_ECHECKSUM, j->manifest.path, 0, NULL,
                     "%s; nothing was restored: use another backup, or, knowing where"
                     " this file comes from, restore it anyway with restore --force"
                     " (um_restore_options.force)",
                     why);
}

static int compare(restore_job *j, const char *hex, uint64_t size)
{
    char why[256];
    if (size == j->manifest.size && strcmp(hex, j->manifest.sha256) == 0) {
        j->verified = 1;
        return UM_OK;
    }
    snprintf(why, sizeof(why),
             "does not match its manifest: %llu bytes with SHA-256 %.12s..., the manifest"
             " says %llu bytes with %.12s...",
             (unsigned long long)size, hex, (unsigned long long)j->manifest.size,
             j->manifest.sha256);
    return unverified(j, why);
}

static int compare_with_manifest(restore_job *j)
{
    char hex[65];
    uint64_t size = 0;
    int rc = manifest_digest(j->manifest.path, false, hex, &size, &j->ctx->err);
    return rc ? rc : compare(j, hex, size);
}

/* Plain SQL of the manifest's size is hashed as psql reads it, unless
 * forced (a mismatch would not stop it then: psql reads the file itself).
 * A size that differs is refused here, before anything runs. */
static bool can_stream(const restore_job *j, const struct stat *st)
{
    return j->manifest.format == UM_BACKUP_PLAIN && !j->opts->force &&
           (uint64_t)st->st_size == j->manifest.size;
}

static int check_backup(restore_job *j)
{
    struct stat st;
    if (stat(j->manifest.path, &st) != 0)
        return ctx_error(j->ctx, UM_EIO, j->manifest.path, 0, NULL, "cannot read: %s",
                         strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ctx_error(j->ctx, UM_EIO, j->manifest.path, 0, NULL, "not a file");
    if (report(j, UM_BACKUP_VERIFYING))
        return ctx_error(j->ctx, UM_ECANCELLED, NULL, 0, NULL,
                         "cancelled by the progress callback; nothing was restored");
    if (access(j->manifest.manifest_path, F_OK) != 0)
        return unverified(j, "it has no manifest (" MANIFEST_SUFFIX " beside it), so its"
                             " integrity cannot be checked");
    err_buf err = { { 0 } };
    int rc = manifest_read(&j->manifest, &err);
    if (rc == UM_ENOMEM) {
        err_clear(&err);
        return err_nomem(&j->ctx->err);
    }
    if (rc) {
        rc = unverified(j, err.d.message);
        err_clear(&err);
        return rc;
    }
    j->has_manifest = true;
    j->stream = can_stream(j, &st);
    return UM_OK;
}

/* The manifest says; else an archive starts with pg_dump's magic. */
static void choose_format(restore_job *j)
{
    char head[sizeof(ARCHIVE_MAGIC) - 1] = { 0 };
    FILE *f = j->has_manifest ? NULL : fopen(j->manifest.path, "rb");
    if (j->has_manifest) {
        j->format = j->manifest.format;
        return;
    }
    size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
    if (f)
        fclose(f);
    j->format = n == sizeof(head) && memcmp(head, ARCHIVE_MAGIC, sizeof(head)) == 0
                    ? UM_BACKUP_CUSTOM
                    : UM_BACKUP_PLAIN;
}

/*
 * A backup of another database (its manifest names the one it was taken
 * from) replaces the objects the two share and leaves the rest: a mix of
 * both, and in every case not what a restore of this database means.
 * Refused unless forced, as a file that fails its check is.
 */
static int check_source(restore_job *j)
{
    const char *from = j->has_manifest ? j->manifest.database : NULL;
    const char *into = j->conn.database;
    if (!from || strcmp(from, into) == 0)
        return UM_OK;
    if (j->opts->force) {
        log_printf(&j->ctx->log, UM_LOG_WARNING,
                   "%s is a backup of database \"%s\", not of \"%s\"; restoring it into \"%s\""
                   " anyway (force)",
                   j->manifest.path, from, into, into);
        return UM_OK;
    }
    return ctx_error(j->ctx, UM_EBACKUP, j->manifest.path, 0, NULL,
                     "a backup of database \"%s\", not of \"%s\", the database it would"
                     " replace; nothing was restored: restore it into \"%s\" (restore --into), or,"
                     " to make \"%s\" a copy of \"%s\", restore it anyway with restore --force"
                     " (um_restore_options.force)",
                     from, into, from, into, from);
}

static int confirm(restore_job *j)
{
    if (!j->opts->confirm_cb)
        return UM_OK;
    um_restore_target t = { j->conn.database, j->conn.host, j->conn.port, j->manifest.path,
                            j->has_manifest ? &j->manifest : NULL };
    err_buf kept;
    host_guard_enter(&j->ctx->guard, &kept);
    int refused = j->opts->confirm_cb(&t, j->opts->confirm_payload);
    host_guard_leave(&j->ctx->guard, &kept);
    if (!refused)
        return UM_OK;
    return ctx_error(j->ctx, UM_ECANCELLED, NULL, 0, NULL,
                     "the restore into database \"%s\" was not confirmed; nothing was changed",
                     j->conn.database);
}

/* ---- the program ------------------------------------------------------ */

static void *version_thread(void *arg)
{
    restore_job *j = arg;
    j->version_rc = pgtool_read_version(&j->tool, &j->version_err);
    return NULL;
}

/*
 * Finds pg_restore or psql and reads its version (a child process, some
 * milliseconds) on a thread of its own, while the file is hashed and the
 * lock taken.  Where it was not found is reported after the checksum.
 */
static int find_program(restore_job *j, err_buf *not_found)
{
    const char *name = j->format == UM_BACKUP_PLAIN ? "psql" : "pg_restore";
    int rc = pgtool_locate(j->ctx, name, &j->tool);
    if (rc) {
        *not_found = err_stash(&j->ctx->err);
        return rc;
    }
    j->reading = pthread_create(&j->version_thread, NULL, version_thread, j) == 0;
    if (!j->reading)
        version_thread(j);
    return UM_OK;
}

/* Waits for the version; its error when @rc has none. */
static int program_found(restore_job *j, int rc)
{
    if (j->reading)
        pthread_join(j->version_thread, NULL);
    j->reading = false;
    if (!rc && j->version_rc)
        rc = ctx_error(j->ctx, j->version_rc, NULL, 0, NULL, "%s", j->version_err.d.message);
    if (!rc)
        log_printf(&j->ctx->log, UM_LOG_DEBUG, "using %s %s", j->tool.path, j->tool.version);
    err_clear(&j->version_err);
    return rc;
}

/* ---- the restore ------------------------------------------------------ */

static int feed_input(void *payload, const char **data, size_t *len)
{
    restore_job *j = payload;
    return sqlfeed_input(j->feed, data, len);
}

/* psql reading the file from the feed.  Whatever psql did, a file that
 * does not match is the error: psql was stopped for it, or failed on the
 * damage first. */
static int run_fed(restore_job *j, const char *const *args)
{
    char hex[65];
    uint64_t size = 0;
    int rc = sqlfeed_open(&j->feed, j->manifest.path, j->manifest.size, j->manifest.sha256,
                          &j->ctx->err);
    if (rc)
        return rc;
    rc = pgtool_run_fed(j->ctx, &j->tool, args, &j->conn, restoring_tick, feed_input, j);
    err_buf run_err = err_stash(&j->ctx->err);
    int drc = sqlfeed_digest(j->feed, hex, &size, &j->ctx->err);
    if (!drc)
        drc = compare(j, hex, size);
    if (drc) {
        err_clear(&run_err);
        return drc;
    }
    err_unstash(&j->ctx->err, &run_err);
    return rc;
}

static int run_restore(restore_job *j)
{
    strbuf file = STRBUF_INIT;
    bool plain = j->format == UM_BACKUP_PLAIN;
    sb_printf(&file, "--file=%s", j->manifest.path);
    int rc = sb_str(&file) ? UM_OK : err_nomem(&j->ctx->err);
    const char *archive[] = { "--clean",    "--if-exists",    "--single-transaction",
                              "--no-owner", "--no-password",  j->conn.dbname_arg,
                              "--",         j->manifest.path, NULL };
    const char *sql[] = { "--no-psqlrc",          "--quiet",
                          "--no-password",        "--set=ON_ERROR_STOP=1",
                          "--single-transaction", j->conn.dbname_arg,
                          sb_str(&file),          NULL };
    /* no --single-transaction: the feed sends BEGIN and COMMIT itself */
    const char *fed[] = {
        "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", j->conn.dbname_arg,
        "--file=-",    NULL
    };
    if (!rc && report(j, UM_BACKUP_RESTORING))
        rc = ctx_error(j->ctx, UM_ECANCELLED, NULL, 0, NULL,
                       "cancelled by the progress callback; nothing was restored");
    if (!rc) {
        log_printf(&j->ctx->log, UM_LOG_INFO, "restoring %s into database \"%s\" with %s %s",
                   j->manifest.path, j->conn.database, j->tool.path, j->tool.version);
        rc = j->stream
                 ? run_fed(j, fed)
                 : pgtool_run(j->ctx, &j->tool, plain ? sql : archive, &j->conn, restoring_tick, j);
    }
    if (j->session_lost_nomem) {
        rc = err_nomem(&j->ctx->err);
    } else if (j->session_lost) {
        rc = ctx_error(j->ctx, UM_ECONNLOST, NULL, 0, NULL,
                       "the run's own session, which held the migration lock, was lost (%s): %s"
                       " was stopped before it finished, so the restore (one transaction) was"
                       " rolled back and database \"%s\" is as it was",
                       j->session_lost, j->tool.path, j->conn.database);
    } else if (rc == UM_EBACKUP)
        rc = ctx_error(j->ctx, UM_EBACKUP, NULL, 0, NULL,
                       "the restore failed and was rolled back; the database is as it was: %s",
                       um_errmsg(j->ctx));
    sb_free(&file);
    return rc;
}

/* This run's lock row back in place (lock_mode = table), the heads the
 * restored version table holds, and the restore in its history (tables
 * made if the backup had none).  The database is restored by now whatever
 * happens here: a failure says so. */
static int record(restore_job *j)
{
    int rc = lock_reclaim(j->ctx);
    if (!rc)
        rc = store_read_state(j->ctx, &j->after);
    if (!rc && !j->after.tables_exist)
        rc = store_ensure_tables(j->ctx, j->after.n_heads > 0);
    if (!rc)
        rc = store_record_restore(j->ctx, (const char *const *)j->after.heads, j->after.n_heads,
                                  j->has_manifest ? j->manifest.sha256 : NULL);
    if (rc && rc != UM_ENOMEM)
        err_prefix(&j->ctx->err, rc,
                   "database \"%s\" was restored from %s, but the restore could not be recorded"
                   " in the history",
                   j->conn.database, j->manifest.path);
    return rc;
}

static int result(restore_job *j, um_restore_info **out)
{
    um_restore_info *r = calloc(1, sizeof(*r));
    char **heads = util_calloc(j->after.n_heads, sizeof(*heads));
    if (r) {
        r->path = strdup(j->manifest.path);
        r->database = strdup(j->conn.database);
        r->heads = (const char *const *)heads;
        r->format = j->format;
        r->verified = j->verified;
        r->duration_ms = util_now_ms() - j->started;
    }
    for (size_t i = 0; r && heads && i < j->after.n_heads; i++, r->n_heads++)
        if (!(heads[i] = strdup(j->after.heads[i])))
            break;
    if (r && heads && r->path && r->database && r->n_heads == j->after.n_heads) {
        *out = r;
        return UM_OK;
    }
    if (!r)
        free(heads);
    um_restore_info_free(r);
    return err_nomem(&j->ctx->err);
}

static void log_done(restore_job *j)
{
    strbuf heads = STRBUF_INIT;
    for (size_t i = 0; i < j->after.n_heads; i++)
        sb_printf(&heads, "%s%s", i ? ", " : "", j->after.heads[i]);
    log_printf(&j->ctx->log, UM_LOG_INFO,
               "restored %s into database \"%s\" in %.0f ms; it is at %s", j->manifest.path,
               j->conn.database, util_now_ms() - j->started,
               j->after.n_heads && sb_str(&heads) ? sb_str(&heads) : "base");
    sb_free(&heads);
}

/* The hash unless the feed does it, then where the program was not found. */
static int verify(restore_job *j, int found, err_buf *not_found)
{
    int rc = j->has_manifest && !j->stream ? compare_with_manifest(j) : UM_OK;
    if (!rc && found)
        err_unstash(&j->ctx->err, not_found);
    err_clear(not_found);
    return rc ? rc : found;
}

static int restore(restore_job *j, um_restore_info **out)
{
    err_buf not_found = { { 0 } };
    int rc = check_backup(j);
    if (rc)
        return rc;
    choose_format(j);
    rc = verify(j, find_program(j, &not_found), &not_found);
    if (!rc)
        rc = lock_acquire(j->ctx);
    if (!rc)
        rc = pgtool_conn_build(j->ctx, &j->conn);
    if (!rc)
        rc = check_source(j);
    if (!rc)
        rc = confirm(j);
    rc = program_found(j, rc);
    if (!rc)
        rc = run_restore(j);
    if (!rc)
        rc = record(j);
    if (!rc)
        rc = result(j, out);
    if (!rc) {
        log_done(j);
        report(j, UM_BACKUP_FINISHED);
    }
    lock_release(j->ctx);
    return rc;
}

/* ---- public ----------------------------------------------------------- */

int um_restore_options_init(um_restore_options *opts, unsigned int version)
{
    static const um_restore_options init = UM_RESTORE_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

void um_restore_info_free(um_restore_info *restore)
{
    if (!restore)
        return;
    for (size_t i = 0; i < restore->n_heads; i++)
        free((char *)restore->heads[i]);
    free((char **)restore->heads);
    free((char *)restore->path);
    free((char *)restore->database);
    free(restore);
}

char *um_restore_info_to_json(const um_restore_info *restore)
{
    if (!restore)
        return NULL;
    return manifest_dump(
        json_pack("{s:i, s:s, s:s, s:s, s:o, s:b, s:f}", "format_version", 1, "path", restore->path,
                  "database", restore->database, "format", manifest_format_name(restore->format),
                  "heads", manifest_strings(restore->heads, restore->n_heads), "verified",
                  restore->verified, "duration_ms", round(restore->duration_ms * 1000.0) / 1000.0));
}

int um_restore(um_restore_info **out, um_ctx *ctx, const char *path, const um_restore_options *opts)
{
    static const um_restore_options defaults = UM_RESTORE_OPTIONS_INIT;
    um_restore_info *info = NULL;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!opts)
        opts = &defaults;
    int rc = err_check_version(&ctx->err, "um_restore_options", opts->version,
                               UM_RESTORE_OPTIONS_VERSION);
    if (rc)
        return rc;
    if (!path || !*path)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_restore: a backup file is required");
    restore_job j = { .ctx = ctx, .opts = opts, .started = util_now_ms() };
    strbuf m = STRBUF_INIT;
    sb_printf(&m, "%s" MANIFEST_SUFFIX, path);
    j.manifest.path = strdup(path);
    j.manifest.manifest_path = sb_detach(&m);
    rc = j.manifest.path && j.manifest.manifest_path ? pg_call_begin(ctx) : err_nomem(&ctx->err);
    if (!rc)
        rc = pg_call_finish(ctx, restore(&j, &info));
    manifest_info_clear(&j.manifest);
    pgtool_conn_free(&j.conn);
    pgtool_free(&j.tool);
    sqlfeed_free(j.feed);
    store_state_free(&j.after);
    free(j.session_lost);
    if (out)
        *out = info;
    else
        um_restore_info_free(info);
    return rc;
}
