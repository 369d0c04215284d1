/*
 * backup_list.c - the backups of a directory: um_backup_list, and
 * backup_keep's retention after a new backup.
 *
 * A backup is a file with its manifest beside it (FILE.json).  A file
 * named backup_* without one (a backup that did not finish, or whose
 * manifest was lost) and a manifest without its file are listed too, so
 * that they can be seen, but retention never counts or deletes them.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"
#include "strbuf.h"
#include "util.h"

#define NAME_PREFIX "backup_"

struct um_backup_list_info {
    char *dir;
    um_backup_info *items; /* newest first */
    size_t n;
};

/* One backup while the directory is read: its sort key is the manifest's
 * created_at, or the file's mtime in the same form. */
typedef struct scanned {
    um_backup_info info;
    char key[40];
} scanned;

typedef struct scan {
    um_ctx *ctx;
    const char *dir;
    scanned *v;
    size_t n, cap;
} scan;

/* ---- reading the directory ------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static bool regular_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Adds the backup @dir/@name (the backup file's name); false when out of
 * memory. */
static bool add(scan *s, const char *name, size_t len)
{
    scanned *v = util_grow(s->v, s->n, &s->cap, sizeof(*v));
    if (!v)
        return false;
    s->v = v;
    scanned *e = &s->v[s->n];
    memset(e, 0, sizeof(*e));
    strbuf path = STRBUF_INIT, manifest = STRBUF_INIT;
    sb_printf(&path, "%s/%.*s", s->dir, (int)len, name);
    sb_printf(&manifest, "%s/%.*s" MANIFEST_SUFFIX, s->dir, (int)len, name);
    e->info.path = sb_detach(&path);
    e->info.manifest_path = sb_detach(&manifest);
    s->n++;
    return e->info.path && e->info.manifest_path;
}

/* Whether the entry @name of the directory is (or names) a backup, and
 * which file then. */
static bool consider(scan *s, const char *name)
{
    size_t len = strlen(name);
    if (name[0] == '.')
        return true; /* temporary files */
    if (has_suffix(name, MANIFEST_SUFFIX)) {
        size_t base = len - strlen(MANIFEST_SUFFIX);
        strbuf file = STRBUF_INIT;
        sb_printf(&file, "%s/%.*s", s->dir, (int)base, name);
        /* with its file, the file's entry stands for both */
        bool orphan = sb_str(&file) && !exists(sb_str(&file));
        sb_free(&file);
        return !orphan || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0 ||
               add(s, name, base);
    }
    strbuf path = STRBUF_INIT, manifest = STRBUF_INIT;
    sb_printf(&path, "%s/%s", s->dir, name);
    sb_printf(&manifest, "%s/%s" MANIFEST_SUFFIX, s->dir, name);
    bool wanted =
        sb_str(&path) && sb_str(&manifest) && regular_file(sb_str(&path)) &&
        (exists(sb_str(&manifest)) || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) == 0);
    sb_free(&path);
    sb_free(&manifest);
    return !wanted || add(s, name, len);
}

static void mtime_key(const char *path, char key[40])
{
    struct stat st;
    struct tm tm;
    time_t t = stat(path, &st) == 0 ? st.st_mtime : 0;
    gmtime_r(&t, &tm);
    strftime(key, 40, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* Whether the file is still what its manifest says. */
static um_backup_check compare(um_ctx *ctx, const um_backup_info *b)
{
    char hex[65];
    uint64_t size = 0;
    err_buf err = { { 0 } };
    int rc = manifest_digest(b->path, false, hex, &size, &err);
    if (rc)
        log_printf(&ctx->log, UM_LOG_WARNING, "%s", err.d.message);
    err_clear(&err);
    return !rc && size == b->size && strcmp(hex, b->sha256) == 0 ? UM_BACKUP_OK
                                                                 : UM_BACKUP_CHECKSUM_MISMATCH;
}

/* Reads the manifest of @e, and with @verify hashes the file. */
static void examine(scan *s, scanned *e, bool verify)
{
    um_backup_info *b = &e->info;
    bool file = exists(b->path);
    mtime_key(file ? b->path : b->manifest_path, e->key);
    if (!exists(b->manifest_path)) {
        free((char *)b->manifest_path);
        b->manifest_path = NULL;
        b->check = UM_BACKUP_NO_MANIFEST;
        b->format = has_suffix(b->path, ".sql") ? UM_BACKUP_PLAIN : UM_BACKUP_CUSTOM;
        struct stat st;
        b->size = stat(b->path, &st) == 0 ? (uint64_t)st.st_size : 0;
        return;
    }
    err_buf err = { { 0 } };
    if (manifest_read(b, &err) != UM_OK) {
        log_printf(&s->ctx->log, UM_LOG_WARNING, "%s", err.d.message);
        err_clear(&err);
        b->check = UM_BACKUP_BAD_MANIFEST;
        return;
    }
    if (b->created_at)
        snprintf(e->key, sizeof(e->key), "%s", b->created_at);
    b->check = !file ? UM_BACKUP_FILE_MISSING : verify ? compare(s->ctx, b) : UM_BACKUP_OK;
}

static int newest_first(const void *a, const void *b)
{
    const scanned *x = a, *y = b;
    int c = strcmp(y->key, x->key);
    return c ? c : strcmp(y->info.path, x->info.path);
}

static void list_free(um_backup_list_info *list)
{
    for (size_t i = 0; i < list->n; i++)
        manifest_info_clear(&list->items[i]);
    free(list->items);
    free(list->dir);
    free(list);
}

/* The scanned backups as a list, in order; frees @s's array. */
static int to_list(scan *s, um_backup_list_info **out)
{
    um_backup_list_info *list = calloc(1, sizeof(*list));
    um_backup_info *items = util_calloc(s->n, sizeof(*items));
    char *dir = strdup(s->dir);
    if (!list || !items || !dir) {
        free(list);
        free(items);
        free(dir);
        return err_nomem(&s->ctx->err);
    }
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), newest_first);
    for (size_t i = 0; i < s->n; i++)
        items[i] = s->v[i].info;
    list->items = items;
    list->n = s->n;
    list->dir = dir;
    free(s->v);
    s->v = NULL;
    s->n = 0;
    *out = list;
    return UM_OK;
}

int backup_scan(um_ctx *ctx, const char *dir, bool verify, um_backup_list_info **out)
{
    scan s = { ctx, dir, NULL, 0, 0 };
    int rc = UM_OK;
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d && errno != ENOENT)
        return ctx_error(ctx, UM_EIO, dir, 0, NULL, "cannot read the backup directory: %s",
                         strerror(errno));
    for (struct dirent *de; d && (de = readdir(d));)
        if (!consider(&s, de->d_name)) {
            rc = err_nomem(&ctx->err);
            break;
        }
    if (d)
        closedir(d);
    for (size_t i = 0; !rc && i < s.n; i++)
        examine(&s, &s.v[i], verify);
    if (!rc)
        rc = to_list(&s, out);
    for (size_t i = 0; i < s.n; i++)
        manifest_info_clear(&s.v[i].info);
    free(s.v);
    return rc;
}

/* ---- retention --------------------------------------------------------- */

static void delete_backup(um_ctx *ctx, const um_backup_info *b)
{
    if (unlink(b->path) != 0 && errno != ENOENT) {
        log_printf(&ctx->log, UM_LOG_WARNING, "backup_keep: cannot delete %s: %s", b->path,
                   strerror(errno));
        return;
    }
    if (unlink(b->manifest_path) != 0)
        log_printf(&ctx->log, UM_LOG_WARNING, "backup_keep: cannot delete %s: %s", b->manifest_path,
                   strerror(errno));
    log_printf(&ctx->log, UM_LOG_INFO, "backup_keep = %d: deleted %s", ctx->cfg.backup_keep,
               b->path);
}

void backup_keep_newest(um_ctx *ctx, const char *dir, const char *newest)
{
    int keep = ctx->cfg.backup_keep;
    um_backup_list_info *list = NULL;
    if (keep <= 0)
        return;
    err_buf kept = err_stash(&ctx->err);
    if (backup_scan(ctx, dir, false, &list) != UM_OK)
        log_printf(&ctx->log, UM_LOG_WARNING, "backup_keep: %s", um_errmsg(ctx));
    int counted = 0;
    for (size_t i = 0; list && i < list->n; i++) {
        const um_backup_info *b = &list->items[i];
        /* only complete backups count, and only they may go */
        if (b->check != UM_BACKUP_OK)
            continue;
        if (strcmp(b->path, newest) == 0 || counted < keep)
            counted++;
        else
            delete_backup(ctx, b);
    }
    if (list)
        list_free(list);
    err_unstash(&ctx->err, &kept);
}

/* ---- public ----------------------------------------------------------- */

int um_backup_list(um_backup_list_info **out, um_ctx *ctx)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_backup_list: out is required");
    char *dir = backup_dir_path(ctx);
    int rc = dir ? backup_scan(ctx, dir, true, out) : err_nomem(&ctx->err);
    free(dir);
    return rc;
}

UTIL_LIST_ACCESSORS(um_backup_list_count, um_backup_list_at, um_backup_list_info,
                    const um_backup_info *, n, items, &)

char *um_backup_list_to_json(const um_backup_list_info *list)
{
    if (!list)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; a && i < list->n; i++)
        if (json_array_append_new(a, manifest_object(&list->items[i], true)) != 0) {
            json_decref(a);
            a = NULL;
        }
    return manifest_dump(
        json_pack("{s:i, s:s, s:o}", "format_version", 1, "directory", list->dir, "backups", a));
}

void um_backup_list_free(um_backup_list_info *list)
{
    if (list)
        list_free(list);
}
