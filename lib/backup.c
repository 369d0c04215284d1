/*
 * backup.c - taking a backup with pg_dump.
 *
 * pg_dump writes a temporary file in the backup's directory (".NAME.partial",
 * created mode 0600 first, so that pg_dump, which truncates it, keeps that
 * mode); it is then synced and hashed in one pass, checked, and renamed;
 * the manifest follows, and the directory is synced.  A backup without its
 * manifest is therefore one that did not finish: retention never counts or
 * deletes it.  The run holds a lock (flock) on its temporary file while
 * it writes it, so that the next backup can tell the file a killed run
 * left, and remove it.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "manifest.h"
#include "pg.h"
#include "pgtool.h"
#include "store.h"
#include "strbuf.h"
#include "util.h"

/* pg_dump's last comment in a plain dump; 15.14 and later write a
 * \unrestrict line after it, hence a search of the file's end. */
#define PLAIN_COMPLETE "\n-- PostgreSQL database dump complete\n"
#define PLAIN_TAIL     4096
/* Heads in a file name beyond this many characters are cut. */
#define NAME_HEADS_MAX 100
/* A partial file unchanged for this long, that no run holds, was left by
 * a run that was killed. */
#define PARTIAL_STALE_MS (60 * 1000)
#define PARTIAL_SUFFIX   ".partial"

/* One backup being taken. */
typedef struct job {
    um_ctx *ctx;
    um_backup_format format;
    const char *out; /* the caller's file, or NULL */
    um_backup_progress_cb progress_cb;
    void *progress_payload;
    double started;
    double reported;     /* when the progress callback was last called, 0: never */
    struct timespec now; /* the backup's time */
    store_state state;   /* the heads */
    pgtool dump;
    pgtool_conn conn;
    char *dir;
    char *tmp;               /* the temporary file, NULL once renamed or never made */
    int tmp_fd;              /* open on it, flock()ed while it is written; -1: none */
    manifest_hasher *hasher; /* plain SQL: hashed while pg_dump writes it */
    um_backup_info *info;
} job;

char *backup_dir_path(const um_ctx *ctx)
{
    if (ctx->cfg.backup_dir)
        return strdup(ctx->cfg.backup_dir);
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s/backups", ctx->cfg.here);
    return sb_detach(&sb);
}

/* ---- progress ---------------------------------------------------------- */

static uint64_t file_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int report(job *j, um_backup_phase phase, const char *path)
{
    if (!j->progress_cb)
        return 0;
    um_backup_progress p = { phase, path, file_size(path), util_now_ms() - j->started };
    j->reported = util_now_ms();
    err_buf kept;
    host_guard_enter(&j->ctx->guard, &kept);
    int stop = j->progress_cb(&p, j->progress_payload);
    host_guard_leave(&j->ctx->guard, &kept);
    return stop;
}

static int dumping_tick(void *payload)
{
    job *j = payload;
    if (j->hasher)
        manifest_hasher_catch_up(j->hasher);
    if (j->reported > 0 && util_now_ms() - j->reported < BACKUP_PROGRESS_MS)
        return 0;
    return report(j, UM_BACKUP_DUMPING, j->tmp);
}

static int cancelled_by_callback(job *j)
{
    return ctx_error(j->ctx, UM_ECANCELLED, NULL, 0, NULL,
                     "cancelled by the progress callback; no backup was written");
}

/* ---- the directory and the names ------------------------------------- */

/* Creates @dir and its missing parents, mode 0700 (the backups hold the
 * whole database); an existing directory is left as it is. */
static int make_dir(um_ctx *ctx, const char *dir)
{
    char *copy = strdup(dir);
    if (!copy)
        return err_nomem(&ctx->err);
    int rc = UM_OK;
    for (char *p = copy + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        struct stat st;
        if (mkdir(copy, 0700) != 0 && errno != EEXIST)
            rc = ctx_error(ctx, UM_EIO, copy, 0, NULL, "cannot create the backup directory: %s",
                           strerror(errno));
        else if (end && (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)))
            rc = ctx_error(ctx, UM_EIO, copy, 0, NULL, "the backup directory is not a directory");
        if (rc || end)
            break;
        *p = '/';
    }
    free(copy);
    return rc;
}

/* A database name as part of a file name: [A-Za-z0-9_.-], others '_'. */
static void append_safe(strbuf *sb, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        sb_putc(sb, ok ? c : '_');
    }
}

/* backup_20250501T120000Z_ultra_3f1c9a2b7d10 (without extension). */
static void append_stem(job *j, strbuf *sb)
{
    struct tm tm;
    char when[32];
    gmtime_r(&j->now.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
    sb_printf(sb, "backup_%s_", when);
    append_safe(sb, j->conn.database);
    sb_putc(sb, '_');
    size_t start = sb->len;
    for (size_t i = 0; i < j->state.n_heads && sb->len - start < NAME_HEADS_MAX; i++) {
        if (i)
            sb_putc(sb, '-');
        append_safe(sb, j->state.heads[i]);
    }
    if (!j->state.n_heads)
        sb_puts(sb, "base");
}

static bool taken(const char *path)
{
    strbuf m = STRBUF_INIT;
    sb_printf(&m, "%s" MANIFEST_SUFFIX, path);
    bool exists = access(path, F_OK) == 0 || (sb_str(&m) && access(sb_str(&m), F_OK) == 0);
    sb_free(&m);
    return exists;
}

/* A new name in the directory: a second backup within the same second
 * gets "-2", and so on. */
static char *new_path(job *j)
{
    const char *ext = j->format == UM_BACKUP_PLAIN ? ".sql" : ".dump";
    strbuf sb = STRBUF_INIT;
    for (int n = 1; n < 1000; n++) {
        sb_reset(&sb);
        sb_printf(&sb, "%s/", j->dir);
        append_stem(j, &sb);
        if (n > 1)
            sb_printf(&sb, "-%d", n);
        sb_puts(&sb, ext);
        if (!sb_str(&sb) || !taken(sb_str(&sb)))
            break;
    }
    return sb_detach(&sb);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Milliseconds since @st's file was last written. */
static double age_ms(const struct stat *st)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)(now.tv_sec - st->st_mtim.tv_sec) * 1000.0 +
           (double)(now.tv_nsec - st->st_mtim.tv_nsec) / 1e6;
}

/*
 * Removes the partial file @path when a killed run left it: ours, not
 * written for PARTIAL_STALE_MS, and not flock()ed by the run writing it
 * (create_tmp).  The age covers the instant between a file's creation
 * and its lock.  True when removed.
 */
static bool remove_if_stale(um_ctx *ctx, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return false;
    bool stale = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                 age_ms(&st) >= PARTIAL_STALE_MS && flock(fd, LOCK_EX | LOCK_NB) == 0;
    bool removed = stale && unlink(path) == 0;
    close(fd);
    if (removed)
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "removed %s, the partial file of a backup that did not finish (its run was"
                   " killed): no run was writing it",
                   path);
    return removed;
}

/* The partial files killed runs left in backup_dir (.backup_*.partial):
 * a full disk may be why the last one was killed. */
static void remove_stale_partials(um_ctx *ctx, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    strbuf path = STRBUF_INIT;
    size_t suffix = strlen(PARTIAL_SUFFIX);
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, ".backup_", 8) != 0 || len <= 8 + suffix ||
            strcmp(de->d_name + len - suffix, PARTIAL_SUFFIX) != 0)
            continue;
        sb_reset(&path);
        sb_printf(&path, "%s/%s", dir, de->d_name);
        if (sb_str(&path))
            remove_if_stale(ctx, sb_str(&path));
    }
    sb_free(&path);
    closedir(d);
}

/* Where the backup goes: the caller's file, or a new one in backup_dir. */
static int choose_path(job *j)
{
    um_ctx *ctx = j->ctx;
    j->dir = j->out ? dir_of(j->out) : backup_dir_path(ctx);
    if (!j->dir)
        return err_nomem(&ctx->err);
    if (j->out && taken(j->out))
        return ctx_error(ctx, UM_EIO, j->out, 0, NULL,
                         "exists (or its manifest does); a backup never replaces a file");
    int rc = make_dir(ctx, j->dir);
    if (rc)
        return rc;
    if (!j->out)
        remove_stale_partials(ctx, j->dir);
    char *path = j->out ? strdup(j->out) : new_path(j);
    strbuf tmp = STRBUF_INIT;
    if (path) {
        const char *base = strrchr(path, '/');
        sb_printf(&tmp, "%s/.%s.partial", j->dir, base ? base + 1 : path);
    }
    j->info->path = path;
    j->tmp = sb_detach(&tmp);
    return path && j->tmp ? UM_OK : err_nomem(&ctx->err);
}

/*
 * The temporary file, made here so that its mode is 0600 whatever the
 * umask; pg_dump opens it again and truncates it.  Plain SQL is written
 * front to back and never rewritten, so it is hashed as it grows, while
 * pg_dump waits on the server: the hash then costs next to nothing.  An
 * archive is not (pg_dump goes back to write its table of contents), and
 * is hashed once written; compressed, it is the smaller of the two.
 */
static int create_tmp(job *j)
{
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
    int fd = open(j->tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST && remove_if_stale(j->ctx, j->tmp))
        fd = open(j->tmp, flags, 0600);
    if (fd < 0) {
        int e = errno;
        int rc = ctx_error(j->ctx, UM_EIO, j->tmp, 0, NULL, "cannot create the backup file: %s%s",
                           strerror(e),
                           e == EEXIST ? " (a backup to the same file runs, or was killed"
                                         " less than a minute ago)"
                                       : "");
        free(j->tmp);
        j->tmp = NULL; /* not ours to remove */
        return rc;
    }
    /* held until the file is renamed or removed: the sign that a run is
     * writing it (remove_if_stale); a file system without flock does
     * without it */
    flock(fd, LOCK_EX | LOCK_NB);
    j->tmp_fd = fd;
    if (j->format != UM_BACKUP_PLAIN)
        return UM_OK;
    return manifest_hasher_open(&j->hasher, j->tmp, true, &j->ctx->err);
}

/* ---- pg_dump and the checks ------------------------------------------ */

/*
 * The lock table (lock_mode = table) is left out: its row is the run that
 * takes the backup, and a restore would put that row back over the
 * restoring run's own, locking the database for a run that is gone.  The
 * pattern is the quoted, qualified name: pg_dump reads it as psql's \d
 * does, quotes keeping the case and any wildcard character literal.
 */
static int run_pg_dump(job *j)
{
    strbuf file = STRBUF_INIT, skip = STRBUF_INIT;
    char *lock_table = store_qualified_name(j->ctx, "_lock");
    sb_printf(&file, "--file=%s", j->tmp);
    bool named = lock_table != NULL;
    sb_printf(&skip, "--exclude-table=%s", named ? lock_table : "");
    free(lock_table);
    if (!named || sb_failed(&file) || sb_failed(&skip)) {
        sb_free(&file);
        sb_free(&skip);
        return err_code_or_nomem(&j->ctx->err);
    }
    const char *custom[] = { "--format=custom", "--no-password",    sb_str(&file),
                             sb_str(&skip),     j->conn.dbname_arg, NULL };
    /* plain SQL restored with psql must replace what exists, as
     * pg_restore --clean --if-exists --no-owner does with an archive */
    const char *plain[] = { "--format=plain", "--clean",          "--if-exists",
                            "--no-owner",     "--no-password",    sb_str(&file),
                            sb_str(&skip),    j->conn.dbname_arg, NULL };
    log_printf(&j->ctx->log, UM_LOG_INFO, "backing up database \"%s\" with %s %s", j->conn.database,
               j->dump.path, j->dump.version);
    int rc = pgtool_run(j->ctx, &j->dump, j->format == UM_BACKUP_PLAIN ? plain : custom, &j->conn,
                        dumping_tick, j);
    sb_free(&file);
    sb_free(&skip);
    return rc;
}

/* An archive pg_restore cannot list is not a backup. */
static int check_archive(job *j)
{
    pgtool restore;
    int rc = pgtool_find(j->ctx, "pg_restore", &restore);
    if (rc)
        return rc;
    const char *args[] = { "--list", "--", j->tmp, NULL };
    rc = pgtool_run(j->ctx, &restore, args, &j->conn, NULL, NULL);
    pgtool_free(&restore);
    if (rc == UM_EBACKUP)
        rc = ctx_error(j->ctx, UM_EBACKUP, NULL, 0, NULL,
                       "the archive pg_dump wrote does not verify (pg_restore --list): %s",
                       um_errmsg(j->ctx));
    return rc;
}

/* A plain dump that stopped part-way lacks pg_dump's last comment. */
static int check_plain(job *j)
{
    char tail[PLAIN_TAIL + 1];
    ssize_t n = -1;
    int fd = open(j->tmp, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        uint64_t size = file_size(j->tmp);
        off_t from = size > PLAIN_TAIL ? (off_t)(size - PLAIN_TAIL) : 0;
        n = pread(fd, tail, PLAIN_TAIL, from);
        close(fd);
    }
    if (n < 0)
        return ctx_error(j->ctx, UM_EIO, j->tmp, 0, NULL, "cannot read: %s", strerror(errno));
    tail[n] = '\0';
    if (memmem(tail, (size_t)n, PLAIN_COMPLETE, strlen(PLAIN_COMPLETE)))
        return UM_OK;
    return ctx_error(j->ctx, UM_EBACKUP, NULL, 0, NULL,
                     "the SQL pg_dump wrote does not end with its completion comment");
}

static int verify(job *j)
{
    char hex[65];
    if (report(j, UM_BACKUP_VERIFYING, j->tmp))
        return cancelled_by_callback(j);
    int rc = j->hasher ? manifest_hasher_finish(j->hasher, true, hex, &j->info->size, &j->ctx->err)
                       : manifest_digest(j->tmp, true, hex, &j->info->size, &j->ctx->err);
    if (!rc)
        rc = j->format == UM_BACKUP_PLAIN ? check_plain(j) : check_archive(j);
    if (!rc && !(j->info->sha256 = strdup(hex)))
        rc = err_nomem(&j->ctx->err);
    return rc;
}

/* ---- the record ------------------------------------------------------- */

static void iso_time(const struct timespec *t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t->tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(t->tv_nsec / 1000000L % 1000));
}

/* The manifest's fields that are known before pg_dump runs. */
static int describe(job *j)
{
    um_backup_info *b = j->info;
    const char *server = NULL;
    char when[40];
    pg_server_version(j->ctx, &server);
    iso_time(&j->now, when, sizeof(when));
    char **heads = util_calloc(j->state.n_heads, sizeof(*heads));
    b->heads = (const char *const *)heads;
    for (size_t i = 0; heads && i < j->state.n_heads; i++, b->n_heads++)
        if (!(heads[i] = strdup(j->state.heads[i])))
            break;
    b->format = j->format;
    b->database = strdup(j->conn.database);
    b->created_at = strdup(when);
    b->server_version = strdup(server);
    b->pg_dump_version = strdup(j->dump.version);
    b->tool_version = strdup(UM_VERSION_STRING);
    bool ok = heads && b->n_heads == j->state.n_heads && b->database && b->created_at &&
              b->server_version && b->pg_dump_version && b->tool_version;
    return ok ? UM_OK : err_nomem(&j->ctx->err);
}

static int sync_dir(um_ctx *ctx, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? UM_OK : -1;
    if (rc)
        rc = ctx_error(ctx, UM_EIO, dir, 0, NULL, "cannot sync the backup directory: %s",
                       strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The verified file under its name, then its manifest. */
static int publish(job *j)
{
    um_backup_info *b = j->info;
    strbuf m = STRBUF_INIT;
    sb_printf(&m, "%s" MANIFEST_SUFFIX, b->path);
    if (!(b->manifest_path = sb_detach(&m)))
        return err_nomem(&j->ctx->err);
    if (rename(j->tmp, b->path) != 0)
        return ctx_error(j->ctx, UM_EBACKUP, b->path, 0, NULL, "cannot rename %s to it: %s", j->tmp,
                         strerror(errno));
    free(j->tmp);
    j->tmp = NULL;
    close(j->tmp_fd);
    j->tmp_fd = -1;
    /* a backup failed (exit 18, and an upgrade migrates nothing); the dump
     * is whole and stays, for restore --force */
    if (manifest_write(b, &j->ctx->err) == UM_EIO)
        err_prefix(&j->ctx->err, UM_EBACKUP,
                   "the dump is complete at %s (restore it with --force), but it has no manifest",
                   b->path);
    int rc = j->ctx->err.d.code;
    return rc ? rc : sync_dir(j->ctx, j->dir);
}

/* ---- a backup ------------------------------------------------------- */

static int prepare(job *j)
{
    um_ctx *ctx = j->ctx;
    int rc = store_read_state(ctx, &j->state);
    if (!rc)
        rc = pgtool_find(ctx, "pg_dump", &j->dump);
    if (!rc)
        rc = pgtool_check_not_older(ctx, &j->dump);
    if (!rc)
        rc = pgtool_conn_build(ctx, &j->conn);
    if (!rc)
        rc = describe(j);
    return rc;
}

static void job_free(job *j)
{
    manifest_hasher_free(j->hasher);
    if (j->tmp)
        unlink(j->tmp);
    if (j->tmp_fd >= 0)
        close(j->tmp_fd);
    free(j->tmp);
    free(j->dir);
    pgtool_conn_free(&j->conn);
    pgtool_free(&j->dump);
    store_state_free(&j->state);
    um_backup_info_free(j->info);
}

static void log_done(const job *j)
{
    const um_backup_info *b = j->info;
    log_printf(&j->ctx->log, UM_LOG_INFO, "backup written: %s (%llu bytes, sha256 %s) in %.0f ms",
               b->path, (unsigned long long)b->size, b->sha256, b->duration_ms);
}

/*
 * Takes a backup (the caller holds the migration lock).  @out_path: the
 * caller's file, or NULL for a new one in backup_dir, after which
 * backup_keep applies.
 */
static int take(um_ctx *ctx, um_backup_format format, const um_backup_options *opts,
                um_backup_info **out)
{
    job j = { .ctx = ctx, .format = format, .started = util_now_ms(), .tmp_fd = -1 };
    if (opts) {
        j.out = opts->out;
        j.progress_cb = opts->progress_cb;
        j.progress_payload = opts->progress_payload;
    }
    clock_gettime(CLOCK_REALTIME, &j.now);
    j.info = calloc(1, sizeof(*j.info));
    int rc = j.info ? prepare(&j) : err_nomem(&ctx->err);
    if (!rc)
        rc = choose_path(&j);
    if (!rc)
        rc = create_tmp(&j);
    if (!rc)
        rc = run_pg_dump(&j);
    if (!rc)
        rc = verify(&j);
    if (!rc)
        rc = publish(&j);
    if (rc)
        goto done;
    j.info->duration_ms = util_now_ms() - j.started;
    log_done(&j);
    if (!j.out)
        backup_keep_newest(ctx, j.dir, j.info->path);
    if (report(&j, UM_BACKUP_FINISHED, j.info->path))
        log_printf(&ctx->log, UM_LOG_DEBUG,
                   "the backup was finished when the callback asked to"
                   " cancel; it is kept");
    *out = j.info;
    j.info = NULL;
done:
    job_free(&j);
    return rc;
}

/* ---- public ----------------------------------------------------------- */

int um_backup_options_init(um_backup_options *opts, unsigned int version)
{
    static const um_backup_options init = UM_BACKUP_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

static int check_options(um_ctx *ctx, const um_backup_options *o)
{
    int rc =
        err_check_version(&ctx->err, "um_backup_options", o->version, UM_BACKUP_OPTIONS_VERSION);
    if (rc)
        return rc;
    if ((unsigned)o->format > UM_BACKUP_PLAIN)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_backup: unknown format %d",
                         (int)o->format);
    if (o->out && !*o->out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_backup: out is empty");
    return UM_OK;
}

int um_backup(um_backup_info **out, um_ctx *ctx, const um_backup_options *opts)
{
    static const um_backup_options defaults = UM_BACKUP_OPTIONS_INIT;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    int rc = check_options(ctx, opts ? opts : &defaults);
    if (rc)
        return rc;
    if (!opts)
        opts = &defaults;
    rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    um_backup_info *info = NULL;
    rc = lock_acquire(ctx);
    if (!rc)
        rc = take(ctx, opts->format ? opts->format : ctx->cfg.backup_format, opts, &info);
    lock_release(ctx);
    pg_call_end(ctx);
    if (out)
        *out = info;
    else
        um_backup_info_free(info);
    return rc;
}

/* ---- before an upgrade ------------------------------------------------ */

static bool wanted(const um_ctx *ctx, um_direction dir, size_t n_steps, um_backup_mode mode)
{
    if (dir != UM_UP || !n_steps || mode == UM_BACKUP_SKIP)
        return false;
    return mode == UM_BACKUP_ALWAYS || ctx->cfg.backup_before_upgrade;
}

int backup_before_upgrade(um_ctx *ctx, um_direction dir, size_t n_steps,
                          const um_apply_options *opts)
{
    um_backup_info *info = NULL;
    if (opts && opts->backup_out)
        *opts->backup_out = NULL;
    if (!wanted(ctx, dir, n_steps, opts ? opts->backup : UM_BACKUP_AS_CONFIGURED))
        return UM_OK;
    int rc = take(ctx, ctx->cfg.backup_format, NULL, &info);
    if (rc == UM_ECANCELLED || rc == UM_ENOMEM)
        return rc;
    if (rc) {
        err_buf why = err_stash(&ctx->err);
        rc = ctx_error(ctx, UM_EBACKUP, NULL, 0, NULL,
                       "the backup before the upgrade failed, so nothing was migrated: %s%s",
                       why.d.message ? why.d.message : um_strerror(rc),
                       ctx->cfg.backup_before_upgrade
                           ? " (backup_before_upgrade = true; upgrade --no-backup, or"
                             " UM_BACKUP_SKIP, upgrades without one)"
                           : "");
        err_clear(&why);
        return rc;
    }
    if (opts && opts->backup_out)
        *opts->backup_out = info;
    else
        um_backup_info_free(info);
    return UM_OK;
}
