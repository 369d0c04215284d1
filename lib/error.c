/* error.c - result codes, the error kept on a handle, and logging. */
#include "error.h"
#include "strbuf.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const messages[] = {
    [0] = "success",
    [1] = "internal error",
    [2] = "out of memory",
    [3] = "invalid argument",
    [4] = "cannot connect to the database",
    [5] = "migration lock is held by another run",
    [6] = "checksum mismatch",
    [7] = "SQL error",
    [8] = "cancelled",
    [9] = "unsupported options version",
    [10] = "configuration error",
    [11] = "malformed revision file",
    [12] = "invalid revision graph",
    [13] = "invalid target",
    [14] = "irreversible revision",
    [15] = "file system error",
    [16] = "unexpected database state",
    [17] = "database changed since the plan was made",
    [18] = "authentication or authorization failed",
    [19] = "backup or restore failed",
    [20] = "lint found errors in the revisions to apply",
    [21] = "the connection to the database was lost",
    [22] = "the bookkeeping tables cannot be used by this role",
    [23] =
        "the connection goes through a transaction pooler; lock_mode = advisory cannot work there",
};

const char *um_strerror(int code)
{
    size_t i = code <= 0 ? (size_t)(-(long)code) : SIZE_MAX;
    if (i < sizeof(messages) / sizeof(messages[0]) && messages[i])
        return messages[i];
    return "unknown error";
}

static void free_field(const char **p)
{
    free((char *)*p);
    *p = NULL;
}

void err_clear(err_buf *e)
{
    free_field(&e->d.message);
    free_field(&e->d.revision);
    free_field(&e->d.file);
    free_field(&e->d.sqlstate);
    free_field(&e->d.detail);
    free_field(&e->d.hint);
    e->d.line = 0;
    e->d.code = 0;
}

int err_set(err_buf *e, int code, const char *file, int line, const char *revision, const char *fmt,
            ...)
{
    strbuf sb = STRBUF_INIT;
    va_list ap;

    if (file && line > 0)
        sb_printf(&sb, "%s:%d: ", file, line);
    else if (file)
        sb_printf(&sb, "%s: ", file);
    if (revision)
        sb_printf(&sb, "revision %s: ", revision);
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);

    err_clear(e);
    e->d.code = code;
    e->d.line = line;
    e->d.file = util_strdup_null(file);
    e->d.revision = util_strdup_null(revision);
    char *message = sb_detach(&sb);
    if (message)
        util_one_line(message); /* libpq's messages span lines; ours do not */
    e->d.message = message ? message : strdup(um_strerror(code));
    return code;
}

int err_prefix(err_buf *e, int code, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    sb_printf(&sb, ": %s", e->d.message ? e->d.message : um_strerror(e->d.code));
    char *message = sb_detach(&sb);
    if (message) {
        util_one_line(message);
        free((char *)e->d.message);
        e->d.message = message;
    }
    e->d.code = code;
    return code;
}

int err_check_version(err_buf *e, const char *type, unsigned int version, unsigned int expected)
{
    if (version == expected)
        return UM_OK;
    return err_set(e, UM_EVERSION, NULL, 0, NULL, "%s version %u is not supported (expected %u)",
                   type, version, expected);
}

void err_set_server(err_buf *e, const char *sqlstate, const char *detail, const char *hint)
{
    free_field(&e->d.sqlstate);
    free_field(&e->d.detail);
    free_field(&e->d.hint);
    e->d.sqlstate = util_strdup_null(sqlstate);
    e->d.detail = util_strdup_null(detail);
    e->d.hint = util_strdup_null(hint);
}

int err_nomem(err_buf *e)
{
    return err_set(e, UM_ENOMEM, NULL, 0, NULL, "out of memory");
}

int err_code_or_nomem(err_buf *e)
{
    return e->d.code ? e->d.code : err_nomem(e);
}

err_buf err_stash(err_buf *e)
{
    err_buf stash = *e;
    memset(e, 0, sizeof(*e));
    return stash;
}

void err_unstash(err_buf *e, err_buf *stash)
{
    err_clear(e);
    *e = *stash;
    memset(stash, 0, sizeof(*stash));
}

void host_guard_enter(host_guard *g, err_buf *kept)
{
    *kept = err_stash(g->err);
    g->depth++;
}

void host_guard_leave(host_guard *g, err_buf *kept)
{
    g->depth--;
    err_unstash(g->err, kept);
}

void log_printf(const log_sink *log, um_log_level level, const char *fmt, ...)
{
    if (!log || !log->cb || level > log->level)
        return;
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    if (sb_str(&sb)) {
        util_one_line(sb.buf);
        err_buf kept;
        if (log->guard)
            host_guard_enter(log->guard, &kept);
        log->cb(level, sb_str(&sb), log->payload);
        if (log->guard)
            host_guard_leave(log->guard, &kept);
    }
    sb_free(&sb);
}
