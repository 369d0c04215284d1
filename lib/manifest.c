/*
 * manifest.c - see manifest.h.
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "strbuf.h"
#include "util.h"

#define MANIFEST_FORMAT_VERSION 1
/* Reads that fit in the CPU's cache: each is hashed while the copy is
 * still there.  128 KB hashed 105 MB in 82 ms here, 1 MB in 120-145 ms. */
#define DIGEST_CHUNK (128 << 10)
/* A file hashed while it is written has its writeback started every so
 * many bytes, so that the fsync at the end waits for the last ones only
 * (105 MB of plain SQL took 45 ms to fsync at once). */
#define FLUSH_AFTER (8 << 20)

static const char *const check_names[UM_BACKUP_FILE_MISSING + 1] = {
    [UM_BACKUP_OK] = "ok",
    [UM_BACKUP_CHECKSUM_MISMATCH] = "checksum_mismatch",
    [UM_BACKUP_NO_MANIFEST] = "no_manifest",
    [UM_BACKUP_BAD_MANIFEST] = "bad_manifest",
    [UM_BACKUP_FILE_MISSING] = "file_missing",
};

static const char *check_name(um_backup_check check)
{
    return (unsigned)check <= UM_BACKUP_FILE_MISSING ? check_names[check] : "unknown";
}

const char *manifest_format_name(um_backup_format format)
{
    return format == UM_BACKUP_PLAIN ? "plain" : "custom";
}

/* ---- SHA-256 of a file ------------------------------------------------- */

struct manifest_hasher {
    char *path;
    int fd;
    EVP_MD_CTX *md;
    unsigned char *buf;
    uint64_t size;
    uint64_t flushed; /* writeback started up to here */
    bool flush;       /* start the writeback of what is hashed */
    int error;        /* errno of the first failure, 0: none */
};

void manifest_hasher_free(manifest_hasher *h)
{
    if (!h)
        return;
    if (h->fd >= 0)
        close(h->fd);
    EVP_MD_CTX_free(h->md);
    free(h->buf);
    free(h->path);
    free(h);
}

int manifest_hasher_open(manifest_hasher **out, const char *path, bool flush, err_buf *err)
{
    manifest_hasher *h = calloc(1, sizeof(*h));
    *out = NULL;
    if (!h)
        return err_nomem(err);
    h->fd = -1;
    h->flush = flush;
    h->path = strdup(path);
    h->buf = malloc(DIGEST_CHUNK);
    h->md = EVP_MD_CTX_new();
    if (!h->path || !h->buf || !h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
        manifest_hasher_free(h);
        return err_nomem(err);
    }
    h->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0) {
        int rc = err_set(err, UM_EIO, path, 0, NULL, "cannot read: %s", strerror(errno));
        manifest_hasher_free(h);
        return rc;
    }
    *out = h;
    return UM_OK;
}

/* Asks the kernel to start writing what was hashed since the last time
 * (not to wait for it): an advice, whose failure the fsync reports. */
static void start_writeback(manifest_hasher *h)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (!h->flush || h->size - h->flushed < FLUSH_AFTER)
        return;
    (void)sync_file_range(h->fd, (off_t)h->flushed, (off_t)(h->size - h->flushed),
                          SYNC_FILE_RANGE_WRITE);
    h->flushed = h->size;
#else
    (void)h;
#endif
}

/* Reads and hashes the next chunk into h->buf: its length, 0 at the end
 * of the file or after an error (kept in h->error). */
static size_t read_chunk(manifest_hasher *h)
{
    while (!h->error) {
        ssize_t n = read(h->fd, h->buf, DIGEST_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            h->error = n < 0 ? errno : 0;
            return 0;
        }
        h->size += (uint64_t)n;
        if (!EVP_DigestUpdate(h->md, h->buf, (size_t)n)) {
            h->error = EIO;
            return 0;
        }
        return (size_t)n;
    }
    return 0;
}

/* Reads to the current end of the file. */
void manifest_hasher_catch_up(manifest_hasher *h)
{
    while (read_chunk(h) > 0)
        ;
    start_writeback(h);
}

void manifest_hasher_read(manifest_hasher *h, const char **data, size_t *len)
{
    *len = read_chunk(h);
    *data = (const char *)h->buf;
}

int manifest_hasher_finish(manifest_hasher *h, bool sync, char hex[65], uint64_t *size,
                           err_buf *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    hex[0] = '\0';
    manifest_hasher_catch_up(h);
    if (!h->error && sync && fsync(h->fd) != 0)
        h->error = errno;
    if (!h->error && !EVP_DigestFinal_ex(h->md, md, &md_len))
        h->error = EIO;
    if (h->error)
        return err_set(err, UM_EIO, h->path, 0, NULL, "cannot read: %s", strerror(h->error));
    util_hex(md, md_len, hex);
    *size = h->size;
    return UM_OK;
}

int manifest_digest(const char *path, bool sync, char hex[65], uint64_t *size, err_buf *err)
{
    manifest_hasher *h = NULL;
    int rc = manifest_hasher_open(&h, path, false, err);
    if (!rc)
        rc = manifest_hasher_finish(h, sync, hex, size, err);
    manifest_hasher_free(h);
    return rc;
}

/* ---- JSON -------------------------------------------------------------- */

json_t *manifest_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

char *manifest_dump(json_t *root)
{
    char *text =
        root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
             : NULL;
    json_decref(root);
    return text;
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

/* json_pack takes the "o" values even when it fails, and fails on a NULL
 * one: a piece that could not be built fails the whole object. */
json_t *manifest_object(const um_backup_info *b, bool full)
{
    json_t *o =
        json_pack("{s:i, s:s?, s:s, s:I, s:s?, s:s?, s:o, s:s?, s:s?, s:s?, s:s?}",
                  "format_version", MANIFEST_FORMAT_VERSION, "file", base_name(b->path), "format",
                  manifest_format_name(b->format), "size", (json_int_t)b->size, "sha256", b->sha256,
                  "database", b->database, "heads", manifest_strings(b->heads, b->n_heads),
                  "created_at", b->created_at, "server_version", b->server_version,
                  "pg_dump_version", b->pg_dump_version, "tool_version", b->tool_version);
    if (!o || !full)
        return o;
    json_t *more =
        json_pack("{s:s?, s:s?, s:s, s:f}", "path", b->path, "manifest", b->manifest_path, "check",
                  check_name(b->check), "duration_ms", round(b->duration_ms * 1000.0) / 1000.0);
    if (!more || json_object_update(o, more) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(more);
    return o;
}

char *um_backup_info_to_json(const um_backup_info *backup)
{
    return backup ? manifest_dump(manifest_object(backup, true)) : NULL;
}

/* ---- writing ----------------------------------------------------------- */

static int write_all(int fd, const char *text, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

int manifest_write(const um_backup_info *b, err_buf *err)
{
    char *text = manifest_dump(manifest_object(b, false));
    strbuf tmp = STRBUF_INIT;
    int rc = UM_OK, e = 0;

    sb_printf(&tmp, "%s.tmp", b->manifest_path);
    if (!text || !sb_str(&tmp)) {
        rc = err_nomem(err);
        goto done;
    }
    int fd = open(sb_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 ||
        fsync(fd) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(sb_str(&tmp), b->manifest_path) != 0)
        e = errno;
    if (e) {
        unlink(sb_str(&tmp));
        rc = err_set(err, UM_EIO, b->manifest_path, 0, NULL, "cannot write the manifest: %s",
                     strerror(e));
    }
done:
    sb_free(&tmp);
    free(text);
    return rc;
}

/* ---- reading ----------------------------------------------------------- */

void manifest_info_clear(um_backup_info *b)
{
    for (size_t i = 0; i < b->n_heads; i++)
        free((char *)b->heads[i]);
    free((char **)b->heads);
    free((char *)b->path);
    free((char *)b->manifest_path);
    free((char *)b->sha256);
    free((char *)b->database);
    free((char *)b->created_at);
    free((char *)b->server_version);
    free((char *)b->pg_dump_version);
    free((char *)b->tool_version);
    memset(b, 0, sizeof(*b));
}

void um_backup_info_free(um_backup_info *backup)
{
    if (!backup)
        return;
    manifest_info_clear(backup);
    free(backup);
}

static bool is_sha256_hex(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* A string member, copied; true when absent (NULL) or copied. */
static bool copy_member(json_t *o, const char *key, const char **out)
{
    const char *v = json_string_value(json_object_get(o, key));
    *out = util_strdup_null(v);
    return !v || *out;
}

static bool copy_heads(json_t *o, um_backup_info *b)
{
    json_t *heads = json_object_get(o, "heads"), *h;
    size_t i;
    char **v = util_calloc(json_array_size(heads), sizeof(*v));
    if (!v)
        return false;
    b->heads = (const char *const *)v;
    json_array_foreach(heads, i, h)
    {
        if (!json_is_string(h) || !(v[b->n_heads] = strdup(json_string_value(h))))
            return false;
        b->n_heads++;
    }
    return true;
}

/* Fills @b from the parsed manifest @o; UM_EPARSE when it is not one. */
static int from_object(json_t *o, um_backup_info *b, err_buf *err)
{
    const char *format = json_string_value(json_object_get(o, "format"));
    json_t *size = json_object_get(o, "size");
    if (json_integer_value(json_object_get(o, "format_version")) != MANIFEST_FORMAT_VERSION ||
        !format || (strcmp(format, "custom") && strcmp(format, "plain")) ||
        !json_is_integer(size) || json_integer_value(size) < 0 ||
        !is_sha256_hex(json_string_value(json_object_get(o, "sha256"))))
        return err_set(err, UM_EPARSE, b->manifest_path, 0, NULL,
                       "not a backup manifest of format_version %d (format, size and sha256"
                       " are required)",
                       MANIFEST_FORMAT_VERSION);
    b->format = strcmp(format, "plain") == 0 ? UM_BACKUP_PLAIN : UM_BACKUP_CUSTOM;
    b->size = (uint64_t)json_integer_value(size);
    bool ok = copy_member(o, "sha256", &b->sha256) && copy_member(o, "database", &b->database) &&
              copy_member(o, "created_at", &b->created_at) &&
              copy_member(o, "server_version", &b->server_version) &&
              copy_member(o, "pg_dump_version", &b->pg_dump_version) &&
              copy_member(o, "tool_version", &b->tool_version) && copy_heads(o, b);
    return ok ? UM_OK : err_nomem(err);
}

int manifest_read(um_backup_info *b, err_buf *err)
{
    json_error_t jerr;
    json_t *o = json_load_file(b->manifest_path, 0, &jerr);
    if (!o && access(b->manifest_path, R_OK) != 0)
        return err_set(err, UM_EIO, b->manifest_path, 0, NULL, "cannot read: %s", strerror(errno));
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return err_set(err, UM_EPARSE, b->manifest_path, o ? 0 : jerr.line, NULL,
                       "not a backup manifest: %s", o ? "not a JSON object" : jerr.text);
    }
    int rc = from_object(o, b, err);
    json_decref(o);
    return rc;
}
