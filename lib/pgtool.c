/*
 * pgtool.c - see pgtool.h.
 *
 * The password goes to the child in its environment (PGPASSWORD), never on
 * its command line: every local user can read a process's arguments
 * (ps, /proc/PID/cmdline), while /proc/PID/environ is readable by its owner
 * and root only, as a password file would be, and unlike a temporary
 * password file nothing is left on disk if the process is killed.
 */
#include "pgtool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg.h"
#include "proc.h"
#include "strbuf.h"
#include "util.h"

extern char **environ;

/* How many lines of a failed program's stderr the error quotes. */
#define ERROR_LINES 4

/* Parameters a child does not take from the engine's connection: it names
 * itself (pg_dump, psql), keeps the database's encoding, and never opens a
 * replication connection. */
static const char *const not_passed[] = { "application_name", "fallback_application_name",
                                          "client_encoding", "replication" };

/* A secret libpq has no environment variable for: it cannot go to the
 * child without a command line showing it. */
#define UNPASSABLE_SECRET "sslpassword"

void pgtool_free(pgtool *tool)
{
    free(tool->path);
    tool->path = NULL;
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* "15" for 150006, "9.6" for 90624. */
static void server_major(int num, char *buf, size_t size)
{
    if (num >= 100000)
        snprintf(buf, size, "%d", num / 10000);
    else
        snprintf(buf, size, "%d.%d", num / 10000, num / 100 % 100);
}

/* @dir/@name when it is an executable file, else NULL. */
static char *in_dir(const char *dir, size_t dir_len, const char *name)
{
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%.*s/%s", (int)dir_len, dir, name);
    if (sb_str(&sb) && is_executable(sb_str(&sb)))
        return sb_detach(&sb);
    sb_free(&sb);
    return NULL;
}

static char *on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    for (const char *p = path;; p += strcspn(p, ":") + 1) {
        size_t len = strcspn(p, ":");
        char *found = len ? in_dir(p, len, name) : NULL;
        if (found || !p[len])
            return found;
    }
}

/* The usual places, in order; *where says where it looked. */
static char *search(const um_ctx *ctx, const char *name, strbuf *where)
{
    const char *dir = ctx->cfg.pg_bin_dir;
    if (dir) {
        sb_printf(where, "pg_bin_dir (%s)", dir);
        return in_dir(dir, strlen(dir), name);
    }
    char major[16];
    server_major(pg_server_version(ctx, NULL), major, sizeof(major));
    const char *const layouts[] = { "/usr/lib/postgresql/%s/bin", "/usr/pgsql-%s/bin" };
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        char d[64];
        snprintf(d, sizeof(d), layouts[i], major);
        sb_printf(where, "%s, ", d);
        char *found = in_dir(d, strlen(d), name);
        if (found)
            return found;
    }
    sb_puts(where, "PATH");
    return on_path(name);
}

/* "pg_dump (PostgreSQL) 15.6 (Debian 15.6-1)" -> "15.6". */
static bool parse_version(const char *text, char *out, size_t size)
{
    const char *p = text ? strstr(text, ") ") : NULL;
    if (!p || !isdigit((unsigned char)p[2]))
        return false;
    p += 2;
    size_t len = strspn(p, "0123456789.");
    if (len >= size)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

/* Runs "PATH --version" with the caller's environment. */
int pgtool_read_version(pgtool *tool, err_buf *err)
{
    const char *name = strrchr(tool->path, '/');
    const char *argv[] = { name ? name + 1 : tool->path, "--version", NULL };
    proc_spec spec = { tool->path, argv, (const char *const *)environ, true, NULL, NULL, NULL };
    proc_result res;
    int rc = proc_run(&spec, &res, err);
    if (!rc && (res.status != 0 || !parse_version(res.out, tool->version, sizeof(tool->version))))
        rc = err_set(err, UM_EBACKUP, NULL, 0, NULL,
                     "cannot tell the version of %s: '%s --version' exited %d", tool->path,
                     tool->path, res.status);
    proc_result_free(&res);
    return rc;
}

int pgtool_locate(um_ctx *ctx, const char *name, pgtool *out)
{
    memset(out, 0, sizeof(*out));
    int rc = pg_ensure_connected(ctx);
    if (rc)
        return rc;
    strbuf where = STRBUF_INIT;
    out->path = search(ctx, name, &where);
    if (!out->path)
        rc = ctx_error(ctx, UM_EBACKUP, NULL, 0, NULL,
                       "%s not found (looked in %s); install PostgreSQL's client programs"
                       " or set pg_bin_dir",
                       name, sb_str(&where) ? sb_str(&where) : "the usual places");
    sb_free(&where);
    return rc;
}

int pgtool_find(um_ctx *ctx, const char *name, pgtool *out)
{
    int rc = pgtool_locate(ctx, name, out);
    if (!rc)
        rc = pgtool_read_version(out, &ctx->err);
    if (rc)
        pgtool_free(out);
    else
        log_printf(&ctx->log, UM_LOG_DEBUG, "using %s %s", out->path, out->version);
    return rc;
}

/* Major versions in one scale: 906 for 9.6, 1500 for 15. */
static int major_of_text(const char *v)
{
    int a = atoi(v);
    const char *dot = strchr(v, '.');
    return a >= 10 ? a * 100 : a * 100 + (dot ? atoi(dot + 1) : 0);
}

static int major_of_number(int num)
{
    return num >= 100000 ? num / 10000 * 100 : num / 100;
}

int pgtool_check_not_older(um_ctx *ctx, const pgtool *tool)
{
    const char *server = NULL;
    int num = pg_server_version(ctx, &server);
    if (major_of_text(tool->version) >= major_of_number(num))
        return UM_OK;
    char major[16];
    server_major(num, major, sizeof(major));
    return ctx_error(ctx, UM_EBACKUP, NULL, 0, NULL,
                     "%s is version %s, older than the server (%s): it cannot dump it; set"
                     " pg_bin_dir to the bin directory of PostgreSQL %s or later",
                     tool->path, tool->version, server, major);
}

/* ---- the child's connection ------------------------------------------ */

void pgtool_conn_free(pgtool_conn *conn)
{
    for (size_t i = 0; conn->envp && conn->envp[i]; i++)
        free(conn->envp[i]);
    free(conn->envp);
    free(conn->dbname_arg);
    free(conn->database);
    free(conn->host);
    free(conn->port);
    memset(conn, 0, sizeof(*conn));
}

static bool listed(const char *keyword, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keyword, list[i]) == 0)
            return true;
    return false;
}

/* Whether the environment entry "NAME=value" sets one of libpq's
 * connection variables. */
static bool is_connection_variable(const char *entry, const pg_param *p, size_t n)
{
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < n; i++)
        if (p[i].envvar && strlen(p[i].envvar) == len && strncmp(entry, p[i].envvar, len) == 0)
            return true;
    return false;
}

/* A conninfo value: quoted, with ' and \ escaped. */
static void append_quoted(strbuf *sb, const char *keyword, const char *value)
{
    sb_printf(sb, "%s%s='", sb->buf[sb->len - 1] == '=' ? "" : " ", keyword);
    for (const char *c = value; *c; c++) {
        if (*c == '\'' || *c == '\\')
            sb_putc(sb, '\\');
        sb_putc(sb, *c);
    }
    sb_putc(sb, '\'');
}

/* One parameter of the connection: into the environment, or onto the
 * --dbname argument when libpq has no variable for it. */
static bool pass_parameter(um_ctx *ctx, const pg_param *p, char **envp, size_t *n, strbuf *arg)
{
    if (!p->value || !*p->value ||
        listed(p->keyword, not_passed, sizeof(not_passed) / sizeof(not_passed[0])))
        return true;
    if (strcmp(p->keyword, UNPASSABLE_SECRET) == 0) {
        log_printf(&ctx->log, UM_LOG_WARNING,
                   "the connection's %s is not passed to PostgreSQL's client programs: it"
                   " would show on their command line",
                   p->keyword);
        return true;
    }
    if (!p->envvar || strcmp(p->keyword, "dbname") == 0) {
        append_quoted(arg, p->keyword, p->value);
        return !sb_failed(arg);
    }
    strbuf var = STRBUF_INIT;
    sb_printf(&var, "%s=%s", p->envvar, p->value);
    envp[*n] = sb_detach(&var);
    return envp[(*n)++] != NULL;
}

static int build_environment(um_ctx *ctx, const pg_param *p, size_t n_params, pgtool_conn *out)
{
    size_t n_env = 0, n = 0;
    while (environ && environ[n_env])
        n_env++;
    out->envp = calloc(n_env + n_params + 1, sizeof(*out->envp));
    if (!out->envp)
        return err_nomem(&ctx->err);
    bool ok = true;
    for (size_t i = 0; ok && i < n_env; i++)
        if (!is_connection_variable(environ[i], p, n_params))
            ok = (out->envp[n++] = strdup(environ[i])) != NULL;
    strbuf arg = STRBUF_INIT;
    sb_puts(&arg, "--dbname=");
    for (size_t i = 0; ok && i < n_params; i++)
        ok = pass_parameter(ctx, &p[i], out->envp, &n, &arg);
    out->dbname_arg = ok ? sb_detach(&arg) : NULL;
    sb_free(&arg);
    return ok && out->dbname_arg ? UM_OK : err_nomem(&ctx->err);
}

static char *param_value(const pg_param *p, size_t n, const char *keyword)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].keyword, keyword) == 0)
            return strdup(p[i].value ? p[i].value : "");
    return strdup("");
}

int pgtool_conn_build(um_ctx *ctx, pgtool_conn *out)
{
    pg_param *p = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    int rc = pg_conninfo(ctx, &p, &n);
    if (!rc)
        rc = build_environment(ctx, p, n, out);
    if (!rc) {
        out->database = param_value(p, n, "dbname");
        out->host = param_value(p, n, "host");
        out->port = param_value(p, n, "port");
        if (!out->database || !out->host || !out->port)
            rc = err_nomem(&ctx->err);
    }
    pg_params_free(p, n);
    if (rc)
        pgtool_conn_free(out);
    return rc;
}

/* ---- running one ------------------------------------------------------ */

/* The last ERROR_LINES non-empty lines of @tail, on one line. */
static void last_lines(char *tail)
{
    size_t len = strlen(tail);
    while (len > 0 && isspace((unsigned char)tail[len - 1]))
        tail[--len] = '\0';
    const char *start = tail;
    int lines = 0;
    for (size_t i = len; i > 0; i--)
        if (tail[i - 1] == '\n' && ++lines == ERROR_LINES) {
            start = tail + i;
            break;
        }
    memmove(tail, start, strlen(start) + 1);
    util_one_line(tail);
}

typedef struct run_tick {
    um_ctx *ctx;
    pgtool_tick tick;
    pgtool_input input;
    void *payload;
} run_tick;

static int tick_or_cancel(void *arg)
{
    run_tick *t = arg;
    if (pg_cancel_requested(t->ctx))
        return 1;
    return t->tick ? t->tick(t->payload) : 0;
}

static int input_of(void *arg, const char **data, size_t *len)
{
    run_tick *t = arg;
    return t->input(t->payload, data, len);
}

static int failed(um_ctx *ctx, const pgtool *tool, proc_result *res)
{
    if (res->err[0])
        log_printf(&ctx->log, UM_LOG_DEBUG, "%s said: %s", tool->path, res->err);
    if (res->stopped)
        return ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL, "cancelled while %s ran", tool->path);
    last_lines(res->err);
    return ctx_error(ctx, UM_EBACKUP, NULL, 0, NULL, "%s failed (exit status %d)%s%s", tool->path,
                     res->status, res->err[0] ? ": " : "", res->err);
}

int pgtool_run(um_ctx *ctx, const pgtool *tool, const char *const *args, const pgtool_conn *conn,
               pgtool_tick tick, void *payload)
{
    return pgtool_run_fed(ctx, tool, args, conn, tick, NULL, payload);
}

int pgtool_run_fed(um_ctx *ctx, const pgtool *tool, const char *const *args,
                   const pgtool_conn *conn, pgtool_tick tick, pgtool_input input, void *payload)
{
    size_t n = 0;
    while (args[n])
        n++;
    const char **argv = calloc(n + 2, sizeof(*argv));
    if (!argv)
        return err_nomem(&ctx->err);
    const char *name = strrchr(tool->path, '/');
    argv[0] = name ? name + 1 : tool->path;
    memcpy(argv + 1, args, n * sizeof(*argv));
    run_tick t = { ctx, tick, input, payload };
    proc_spec spec = { tool->path,     argv, (const char *const *)conn->envp, false,
                       tick_or_cancel, &t,   input ? input_of : NULL };
    proc_result res;
    double t0 = util_now_ms();
    int rc = proc_run(&spec, &res, &ctx->err);
    /* what the program took, apart from what ultramigrate adds around it */
    log_printf(&ctx->log, UM_LOG_DEBUG, "%s ran for %.1f ms", argv[0], util_now_ms() - t0);
    if (!rc && (res.status != 0 || res.stopped))
        rc = failed(ctx, tool, &res);
    proc_result_free(&res);
    free(argv);
    return rc;
}
