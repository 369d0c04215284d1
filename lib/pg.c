/*
 * pg.c - every libpq call of the engine: connecting, queries, results and
 * the mapping of server errors.  The rest of lib/ reads as logic.
 */
#include "pg.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "redact.h"
#include "strbuf.h"
#include "util.h"

/* Shown instead of a message that could not be masked (out of memory):
 * never the text unmasked. */
#define WITHHELD "(the message is withheld: it could not be checked for passwords)"
/* How often a sleep looks for um_cancel(). */
#define SLEEP_SLICE_MS 50

struct pg_rows {
    PGresult *res;
};

/*
 * The handle's connection and the server session on it.  Other modules
 * see only the generation: a number that changes whenever a new server
 * session starts (a connection made, or the host's PQreset of a borrowed
 * one), so that what they prepared or took on the session is known to be
 * gone without pg.c knowing what it was.
 */
struct pg_session {
    PGconn *conn;    /* NULL until the first call that needs it */
    PGconn *early;   /* a connection started by pg_connect_early */
    bool owns_conn;  /* false: the host's (um_open_options.pg_conn) */
    int backend_pid; /* the server session the generation counts */
    unsigned long generation;
    char *application_name;
    /* um_cancel() may run in another thread or a signal handler: it only
     * touches these atomics.  cancel_users counts the um_cancel() calls in
     * flight, so that a reconnect never frees a cancel object in use. */
    atomic_int cancel_requested;
    _Atomic(PGcancel *) cancel;
    atomic_int cancel_users;
    atomic_int busy; /* a call that runs SQL is under way */
    /* A handle cancelled along with this one (pg_cancel_forward). */
    _Atomic(um_ctx *) forward;
    /* A borrowed connection's notice receiver is ours during a call. */
    PQnoticeReceiver libpq_receiver;
    bool notices_taken;
    /* Statements of the current call the server answered, and whether a
     * lost connection was already made again for it. */
    unsigned long call_statements;
    bool resent;
    /* Every password this handle knows of (see redact.h), read on first
     * use; secrets_failed: out of memory, so no message can be shown. */
    redact_set secrets;
    bool secrets_read, secrets_failed;
    /* pg_set_statement_timeout: the limit of each statement of the call
     * (0: none), the key that set it, and whether the last one ran out. */
    int timeout_ms;
    const char *timeout_setting;
    bool timed_out;
    /* pg_prefetch: a query sent on the early connection as soon as it is
     * up, so that the server answers while the files are still read.  Its
     * result is kept for the first statement of the same text; any other
     * statement first reads it and throws it away. */
    char *prefetch_sql;
    bool prefetch_sent; /* its result not read yet */
    PostgresPollingStatusType early_polling;
};

int pg_session_create(um_ctx *ctx, const char *application_name)
{
    ctx->pg = calloc(1, sizeof(*ctx->pg));
    if (!ctx->pg)
        return err_nomem(&ctx->err);
    ctx->pg->application_name = strdup(application_name ? application_name : "ultramigrate");
    return ctx->pg->application_name ? UM_OK : err_nomem(&ctx->err);
}

unsigned long pg_generation(const um_ctx *ctx)
{
    return ctx->pg ? ctx->pg->generation : 0;
}

bool pg_owns_connection(const um_ctx *ctx)
{
    return ctx->pg && ctx->pg->owns_conn;
}

bool pg_connected(const um_ctx *ctx)
{
    return ctx->pg && ctx->pg->conn && PQstatus(ctx->pg->conn) == CONNECTION_OK;
}

static const char *source_of_url(const um_ctx *ctx)
{
    return ctx->cfg.url_source ? ctx->cfg.url_source : "libpq environment";
}

/*
 * libpq's own reading of @conninfo's password, exactly unquoted and
 * percent-decoded; a dbname that is itself a URL or a key=value string is
 * read the same way (libpq expands it), REDACT_MAX_NESTING levels deep.
 */
static bool add_parsed_passwords(redact_set *r, const char *conninfo, int depth)
{
    char *err = NULL;
    PQconninfoOption *opts = conninfo ? PQconninfoParse(conninfo, &err) : NULL;
    PQfreemem(err); /* it may quote the password */
    bool ok = true;
    for (PQconninfoOption *o = opts; ok && o && o->keyword; o++) {
        if (strcmp(o->keyword, "password") == 0) {
            ok = redact_add(r, o->val);
        } else if (strcmp(o->keyword, "dbname") == 0 && o->val && depth < REDACT_MAX_NESTING &&
                   (strstr(o->val, "://") || strchr(o->val, '=')) && strcmp(o->val, conninfo)) {
            ok = redact_add_conninfo(r, o->val) && add_parsed_passwords(r, o->val, depth + 1);
        }
    }
    PQconninfoFree(opts);
    return ok;
}

/*
 * The passwords of the URL (or key=value string) and of PGPASSWORD, read
 * once; libpq's own reading of the URL's password is added too, as it
 * unquotes it exactly.  A passfile's is learnt from the connection
 * (learn_password).
 */
static redact_set *known_secrets(const um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    if (s->secrets_read)
        return &s->secrets;
    s->secrets_read = true;
    const char *url = ctx->cfg.database_url;
    bool ok = redact_add_conninfo(&s->secrets, url) &&
              redact_add(&s->secrets, getenv("PGPASSWORD")) &&
              add_parsed_passwords(&s->secrets, url, 1);
    s->secrets_failed = !ok;
    return &s->secrets;
}

/* The password libpq used or tried on @conn: the URL's, PGPASSWORD's, a
 * passfile entry's, or the one a host's borrowed connection was made with. */
static void learn_password(const um_ctx *ctx, PGconn *conn)
{
    redact_set *r = known_secrets(ctx);
    if (conn && !redact_add(r, PQpass(conn)))
        ctx->pg->secrets_failed = true;
}

/* @text with every known password masked (allocated); NULL only when out
 * of memory. */
static char *redacted(const um_ctx *ctx, const char *text)
{
    redact_set *r = known_secrets(ctx);
    return ctx->pg->secrets_failed ? strdup(WITHHELD) : redact_apply(r, text);
}

/* @fmt formatted, every known password masked (allocated); NULL only
 * when out of memory. */
static char *format_redacted(const um_ctx *ctx, const char *fmt, va_list ap)
{
    strbuf sb = STRBUF_INIT;
    sb_vprintf(&sb, fmt, ap);
    char *text = sb_str(&sb) ? redacted(ctx, sb_str(&sb)) : NULL;
    sb_free(&sb);
    return text;
}

int pg_error(um_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = format_redacted(ctx, fmt, ap);
    va_end(ap);
    int rc = text ? ctx_error(ctx, code, NULL, 0, NULL, "%s", text) : err_nomem(&ctx->err);
    free(text);
    return rc;
}

/* Formats, masks the passwords, and logs. */
static void pg_log(const um_ctx *ctx, um_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pg_log(const um_ctx *ctx, um_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = format_redacted(ctx, fmt, ap);
    va_end(ap);
    log_printf(&ctx->log, level, "%s", text ? text : WITHHELD);
    free(text);
}

static bool is_sqlstate(const char *p)
{
    for (int i = 0; i < 5; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
            return false;
    return true;
}

/* "LOCATION:  auth_failed, auth.c:334": a line naming a source position.
 * Its label is translated, its shape ("X:  function, file:line") is not. */
static bool is_location_line(const char *line, size_t len)
{
    size_t i = 0;
    while (i + 2 < len && !(line[i] == ':' && line[i + 1] == ' ' && line[i + 2] == ' '))
        i++;
    if (i + 2 >= len)
        return false;
    const char *p = line + i + 3, *end = line + len;
    size_t ident = 0;
    while (p + ident < end && (isalnum((unsigned char)p[ident]) || p[ident] == '_'))
        ident++;
    if (!ident || end - (p + ident) < 4 || p[ident] != ',' || p[ident + 1] != ' ')
        return false;
    const char *colon = end - 1;
    while (colon > p && isdigit((unsigned char)*colon))
        colon--;
    return *colon == ':' && colon < end - 1 && colon > p + ident + 2;
}

/*
 * While connecting, errors are verbose ("FATAL:  28P01: password
 * authentication failed...\nLOCATION:  auth_failed, auth.c:334"): the
 * only place libpq shows the SQLSTATE of a server's refusal.  The first
 * goes to @sqlstate ("" when the server sent none), and the message is
 * left as libpq words it by default: codes and source positions out.
 */
static void take_sqlstate(strbuf *msg, char sqlstate[6])
{
    sqlstate[0] = '\0';
    if (sb_failed(msg) || !msg->buf)
        return;
    for (char *p = strstr(msg->buf, ":  "); p; p = strstr(p + 3, ":  ")) {
        if (!is_sqlstate(p + 3) || p[8] != ':' || p[9] != ' ')
            continue;
        if (!sqlstate[0])
            snprintf(sqlstate, 6, "%.5s", p + 3);
        memmove(p + 3, p + 10, strlen(p + 10) + 1);
    }
    char *w = msg->buf;
    for (const char *line = msg->buf; *line;) {
        size_t len = strcspn(line, "\n"), take = len + (line[len] == '\n');
        if (!is_location_line(line, len)) {
            memmove(w, line, take);
            w += take;
        }
        line += take;
    }
    *w = '\0';
    msg->len = (size_t)(w - msg->buf);
}

/*
 * The server refused the role or the database (see UM_EAUTH): class 28
 * (invalid authorization: password, role, pg_hba.conf), 3D000 (no such
 * database), 42501 (no CONNECT privilege), or a password it asked for and
 * libpq had none.  Waiting fixes none of these.
 */
static bool refused_by_server(PGconn *conn, const char *sqlstate)
{
    return (conn && PQconnectionNeedsPassword(conn)) || strncmp(sqlstate, "28", 2) == 0 ||
           strcmp(sqlstate, SQLSTATE_INVALID_CATALOG) == 0 ||
           strcmp(sqlstate, SQLSTATE_NO_PRIVILEGE) == 0;
}

/* Records why connecting failed (@why, or libpq's message) without the
 * password; UM_EAUTH or UM_ECONNECT. */
static int connect_error(um_ctx *ctx, PGconn *conn, const char *why)
{
    const char *url = ctx->cfg.database_url;
    char *shown = url ? config_redact_url(url) : NULL;
    char sqlstate[6];
    strbuf msg = STRBUF_INIT;
    learn_password(ctx, conn);
    sb_puts(&msg, why ? why : conn ? PQerrorMessage(conn) : "out of memory");
    take_sqlstate(&msg, sqlstate);
    while (msg.len > 0 && (msg.buf[msg.len - 1] == '\n' || msg.buf[msg.len - 1] == ' '))
        msg.buf[--msg.len] = '\0';

    int code = refused_by_server(conn, sqlstate) ? UM_EAUTH : UM_ECONNECT;
    const char *text = sb_str(&msg) ? sb_str(&msg) : "out of memory";
    if (url && !shown)
        err_nomem(&ctx->err);
    else if (shown)
        pg_error(ctx, code, "cannot connect to %s (from %s): %s", shown, source_of_url(ctx), text);
    else
        pg_error(ctx, code, "cannot connect to the database (from %s): %s", source_of_url(ctx),
                 text);
    err_set_server(&ctx->err, sqlstate[0] ? sqlstate : NULL, NULL, NULL);
    sb_free(&msg);
    free(shown);
    return code;
}

/* Server notices (e.g. "relation already exists, skipping") are logged,
 * never printed: the library does not write to stderr.  A WARNING is a
 * warning for the host too; NOTICE, INFO and the rest are detail. */
static void notice_to_log(void *arg, const PGresult *res)
{
    um_ctx *ctx = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *shown = PQresultErrorField(res, PG_DIAG_SEVERITY);
    const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    um_log_level level =
        severity && strcmp(severity, "WARNING") == 0 ? UM_LOG_WARNING : UM_LOG_DEBUG;
    pg_log(ctx, level, "server: %s: %s%s%s%s%s", shown ? shown : "NOTICE", message ? message : "",
           detail ? " DETAIL: " : "", detail ? detail : "", hint ? " HINT: " : "",
           hint ? hint : "");
}

/*
 * libpq's own notice receiver, the one that hands notices to the notice
 * processor (PQsetNoticeProcessor): read from a connection object that
 * never connects, its options being invalid.  libpq gives no way to read
 * a receiver's argument back, so only this one, whose argument is unused,
 * can be put back exactly.
 */
static PQnoticeReceiver libpq_notice_receiver(void)
{
    const char *keys[] = { "password", "sslmode", NULL };
    const char *vals[] = { "unused", "invalid", NULL };
    PGconn *probe = PQconnectStartParams(keys, vals, 0);
    PQnoticeReceiver r = probe ? PQsetNoticeReceiver(probe, NULL, NULL) : NULL;
    PQfinish(probe);
    return r;
}

/* For one call, a borrowed connection's notices come to the log rather
 * than to the host's processor (the host's receiver, if it set its own,
 * keeps them). */
static void take_notices(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    PQnoticeReceiver current = PQsetNoticeReceiver(s->conn, NULL, NULL);
    if (!current || current != s->libpq_receiver)
        return;
    PQsetNoticeReceiver(s->conn, notice_to_log, ctx);
    s->notices_taken = true;
}

static void give_notices_back(pg_session *s)
{
    if (!s->notices_taken)
        return;
    PQsetNoticeReceiver(s->conn, s->libpq_receiver, NULL);
    s->notices_taken = false;
}

/* A new cancel object for the connection (see struct pg_session). */
static void install_cancel(pg_session *s, PGconn *conn)
{
    PGcancel *fresh = conn ? PQgetCancel(conn) : NULL;
    s->backend_pid = conn ? PQbackendPID(conn) : 0;
    PGcancel *old = atomic_exchange(&s->cancel, fresh);
    /* A um_cancel() that loaded @old before the exchange counted itself
     * in cancel_users first: wait for it (it is one PQcancel) to finish. */
    while (old && atomic_load(&s->cancel_users) > 0) {
        struct timespec ms = { 0, 1000000L };
        nanosleep(&ms, NULL);
    }
    PQfreeCancel(old);
}

/* A new server session: a new cancel key, and a new generation, which
 * tells every module that nothing it prepared is there any more. */
static void new_session(pg_session *s, PGconn *conn)
{
    install_cancel(s, conn);
    s->generation++;
}

void pg_adopt(um_ctx *ctx, void *host_conn)
{
    ctx->pg->conn = host_conn;
    ctx->pg->owns_conn = false;
    ctx->pg->libpq_receiver = libpq_notice_receiver();
    new_session(ctx->pg, host_conn);
    learn_password(ctx, host_conn);
}

static PGconn *open_connection(const um_ctx *ctx)
{
    /* Keywords before "dbname" are defaults the URL may override; the URL
     * itself is expanded from "dbname". */
    const char *keys[5] = { "connect_timeout", "application_name", "client_encoding", NULL, NULL };
    const char *vals[5] = { "10", ctx->pg->application_name, "UTF8", NULL, NULL };
    if (ctx->cfg.database_url) {
        keys[3] = "dbname";
        vals[3] = ctx->cfg.database_url;
    }
    PGconn *conn = PQconnectStartParams(keys, vals, 1);
    if (conn)
        PQsetErrorVerbosity(conn, PQERRORS_VERBOSE); /* see take_sqlstate */
    return conn;
}

/* How waiting for a connection's socket, or a whole attempt, ended. */
typedef enum attempt { ATTEMPT_OK, ATTEMPT_FAILED, ATTEMPT_TIMED_OUT, ATTEMPT_CANCELLED } attempt;

/*
 * Waits until the connection's socket is ready for what @st asks, up to
 * @timeout_ms (0: not at all; < 0: no limit), looking for um_cancel()
 * between short slices.
 */
static attempt wait_socket(const um_ctx *ctx, PGconn *conn, PostgresPollingStatusType st,
                           int timeout_ms)
{
    struct pollfd p = { PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
    double deadline = util_now_ms() + timeout_ms;
    if (p.fd < 0)
        return ATTEMPT_FAILED;
    for (;;) {
        int slice = timeout_ms == 0 ? 0 : SLEEP_SLICE_MS;
        double left = deadline - util_now_ms();
        if (timeout_ms > 0 && left < slice)
            slice = left > 0 ? (int)left + 1 : 0;
        int n = poll(&p, 1, slice);
        if (n > 0)
            return ATTEMPT_OK;
        if (n < 0 && errno != EINTR)
            return ATTEMPT_FAILED;
        if (timeout_ms >= 0 && util_now_ms() >= deadline)
            return ATTEMPT_TIMED_OUT;
        if (pg_cancel_requested(ctx))
            return ATTEMPT_CANCELLED;
    }
}

/* The prefetch is over: its answer was read, or went with its connection. */
static void drop_prefetch(pg_session *s)
{
    s->prefetch_sent = false;
    free(s->prefetch_sql);
    s->prefetch_sql = NULL;
}

/* The prefetch is given up (its result, if sent, is read and dropped
 * first: a connection answers in order). */
static void forget_prefetch(pg_session *s)
{
    PGconn *conn = s->conn ? s->conn : s->early;
    if (s->prefetch_sent && conn) {
        PGresult *res;
        while ((res = PQgetResult(conn)) != NULL)
            PQclear(res);
    }
    drop_prefetch(s);
}

/*
 * A cold command spends most of its time reading revision files and
 * waiting for the server to start a backend: both at once is faster.
 * This sends the connection request without waiting; pg_ensure_connected
 * finishes it.
 */
void pg_connect_early(um_ctx *ctx)
{
    if (ctx->pg->conn || ctx->pg->early)
        return;
    PGconn *conn = open_connection(ctx);
    if (!conn || PQstatus(conn) == CONNECTION_BAD) {
        PQfinish(conn); /* the attempt at first use says why */
        return;
    }
    /* Go as far as the socket allows now: usually to "waiting for the
     * server", with the startup message sent. */
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED &&
           wait_socket(ctx, conn, st, 0) == ATTEMPT_OK)
        st = PQconnectPoll(conn);
    ctx->pg->early = conn;
    ctx->pg->early_polling = st;
}

int pg_libpq_version(void)
{
    return PQlibVersion();
}

int pg_prefetch(um_ctx *ctx, const char *sql)
{
    pg_session *s = ctx->pg;
    if (!s->early || s->prefetch_sql)
        return UM_OK;
    s->prefetch_sql = strdup(sql);
    return s->prefetch_sql ? UM_OK : err_nomem(&ctx->err);
}

/* Sends the prefetch query on @conn, rows in binary format as
 * pg_query_binary asks for them.  Not when the client encoding is not
 * UTF-8: pg_ensure_connected has to change it first. */
static void send_prefetch(um_ctx *ctx, PGconn *conn)
{
    pg_session *s = ctx->pg;
    if (PQclientEncoding(conn) == pg_char_to_encoding("UTF8") &&
        PQsendQueryParams(conn, s->prefetch_sql, 0, NULL, NULL, NULL, NULL, 1)) {
        s->prefetch_sent = true;
        pg_log(ctx, UM_LOG_DEBUG,
               "connected while reading the revision files; asked for the"
               " migration state");
    } else {
        forget_prefetch(s);
    }
}

/* How long um_open waits for an early connection to send the state's
 * query on: a server that takes longer is waited for by the first call,
 * which reports a timeout as connect_timeout says. */
#define EARLY_WAIT_MS 1000

/* Moves the early connection on (see pg.h); once it is up, sends the
 * prefetch query, then takes in its rows as they come. */
void pg_poll_early(um_ctx *ctx, bool wait)
{
    pg_session *s = ctx->pg;
    PGconn *conn = s->early;
    if (conn && s->prefetch_sent && !wait) {
        /* take in what came: a server whose socket buffer is full stops
         * producing rows until they are read.  PQisBusy parses the rows
         * into the result as they come, so that libpq's input buffer
         * stays small instead of growing (by doubling) to hold them all:
         * at 10,000 rows that was 4 MB touched for nothing. */
        if (PQconsumeInput(conn))
            PQisBusy(conn);
        return;
    }
    if (!conn || !s->prefetch_sql || s->prefetch_sent)
        return;
    double deadline = util_now_ms() + (wait ? EARLY_WAIT_MS : 0);
    PostgresPollingStatusType st = s->early_polling;
    while (PQstatus(conn) != CONNECTION_OK && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        double left = deadline - util_now_ms();
        if (wait_socket(ctx, conn, st, left > 0 ? (int)left + 1 : 0) != ATTEMPT_OK)
            break;
        st = PQconnectPoll(conn);
    }
    s->early_polling = st;
    if (PQstatus(conn) == CONNECTION_OK)
        send_prefetch(ctx, conn);
}

/* connect_timeout as libpq reads it (URL, environment, our default), in
 * ms (< 0: none). */
static int connect_timeout_ms(PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo(conn);
    int timeout_ms = -1;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && strcmp(o->keyword, "connect_timeout") == 0 && atoi(o->val) > 0)
            timeout_ms = (atoi(o->val) < 2 ? 2 : atoi(o->val)) * 1000; /* libpq's minimum */
    PQconninfoFree(opts);
    return timeout_ms;
}

/* Drives a started connection to its end, each wait up to connect_timeout. */
static attempt finish_connecting(const um_ctx *ctx, PGconn *conn)
{
    int timeout_ms = connect_timeout_ms(conn);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        if (PQstatus(conn) == CONNECTION_OK)
            return ATTEMPT_OK;
        if (PQstatus(conn) == CONNECTION_BAD)
            return ATTEMPT_FAILED;
        attempt waited = wait_socket(ctx, conn, st, timeout_ms);
        if (waited != ATTEMPT_OK)
            return waited;
        st = PQconnectPoll(conn);
        if (st == PGRES_POLLING_FAILED)
            return ATTEMPT_FAILED;
    }
}

/* Worded as libpq words its own timeout. */
static int timeout_error(um_ctx *ctx, PGconn *conn)
{
    strbuf why = STRBUF_INIT;
    sb_printf(&why, "connection to server at \"%s\", port %s failed: timeout expired", PQhost(conn),
              PQport(conn));
    int rc = connect_error(ctx, conn, sb_str(&why) ? sb_str(&why) : "timeout expired");
    sb_free(&why);
    return rc;
}

/* Entry @i of the comma-separated @list (its start and length); false
 * when the list is shorter. */
static bool list_entry(const char *list, int i, const char **start, size_t *len)
{
    const char *p = list;
    for (; i > 0 && p; i--)
        p = (p = strchr(p, ',')) ? p + 1 : NULL;
    if (!p)
        return false;
    *start = p;
    *len = strcspn(p, ",");
    return true;
}

/* Which entry of the host list @conn is at: its PQhost() in "host", else
 * in "hostaddr" (which PQhost() gives when no name was listed); -1 when
 * not found. */
static int current_host(PGconn *conn, const PQconninfoOption *opts)
{
    const char *at = PQhost(conn);
    for (const char *key = "host"; at && key; key = strcmp(key, "host") == 0 ? "hostaddr" : NULL)
        for (const PQconninfoOption *o = opts; o->keyword; o++) {
            const char *e;
            size_t len;
            if (strcmp(o->keyword, key) != 0 || !o->val)
                continue;
            for (int i = 0; list_entry(o->val, i, &e, &len); i++)
                if (len == strlen(at) && strncmp(e, at, len) == 0)
                    return i;
        }
    return -1;
}

/* @list without its first @skip entries; a list of one entry (a port or
 * host for all) is kept whole.  NULL: out of memory. */
static char *drop_entries(const char *list, int skip)
{
    const char *rest;
    size_t len;
    if (!strchr(list, ',') || !list_entry(list, skip, &rest, &len))
        return strdup(list);
    return strdup(rest);
}

/*
 * A new attempt at the hosts listed after the one @conn timed out on,
 * with every other setting as @conn resolved it (URL, environment,
 * defaults): libpq moves on by itself only in its blocking connect, which
 * shows no SQLSTATE of a server's refusal (see take_sqlstate).  NULL when
 * no host is left, or out of memory.
 */
static PGconn *connect_next_hosts(PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo(conn);
    int at = opts ? current_host(conn, opts) : -1;
    size_t n = 0, k = 0;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        n++;
    const char **keys = calloc(n + 1, sizeof(*keys)), **vals = calloc(n + 1, sizeof(*vals));
    char *lists[3] = { NULL, NULL, NULL }; /* host, hostaddr, port without the hosts tried */
    PGconn *next = NULL;
    bool left = false, ok = at >= 0 && keys && vals;
    for (PQconninfoOption *o = opts; ok && o->keyword; o++) {
        if (!o->val)
            continue;
        int list = strcmp(o->keyword, "host") == 0       ? 0
                   : strcmp(o->keyword, "hostaddr") == 0 ? 1
                   : strcmp(o->keyword, "port") == 0     ? 2
                                                         : -1;
        keys[k] = o->keyword;
        vals[k++] = o->val;
        if (list < 0)
            continue;
        const char *e;
        size_t len;
        left = left || (list < 2 && list_entry(o->val, at + 1, &e, &len));
        ok = (lists[list] = drop_entries(o->val, at + 1)) != NULL;
        vals[k - 1] = lists[list];
    }
    if (ok && left && (next = PQconnectStartParams(keys, vals, 0)) != NULL)
        PQsetErrorVerbosity(next, PQERRORS_VERBOSE); /* see take_sqlstate */
    for (int i = 0; i < 3; i++)
        free(lists[i]);
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    return next;
}

/*
 * A new connection: the early one if it made it, else a new attempt (an
 * early one that failed may have failed long ago).  A host that does not
 * answer within connect_timeout is a timeout, unless more hosts are
 * listed: the attempt goes on with the hosts after it.  *rc says why there
 * is none.
 */
static PGconn *connect_now(um_ctx *ctx, PGconn *early, int *rc)
{
    PGconn *conn = early;
    attempt end = early ? finish_connecting(ctx, early) : ATTEMPT_FAILED;
    if (end == ATTEMPT_FAILED) {
        PQfinish(early);
        conn = open_connection(ctx);
        end = conn ? finish_connecting(ctx, conn) : ATTEMPT_FAILED;
    }
    for (PGconn *next; end == ATTEMPT_TIMED_OUT && (next = connect_next_hosts(conn));) {
        PQfinish(conn);
        conn = next;
        end = finish_connecting(ctx, conn);
    }
    if (end == ATTEMPT_OK)
        return conn;
    if (end == ATTEMPT_CANCELLED)
        *rc = ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL,
                        "cancelled by the host while connecting to the database");
    else if (end == ATTEMPT_TIMED_OUT)
        *rc = timeout_error(ctx, conn);
    else
        *rc = connect_error(ctx, conn, NULL);
    PQfinish(conn);
    return NULL;
}

/* Closes an owned connection; a borrowed one stays with the handle: it is
 * the host's to mend. */
static void disconnect(pg_session *s)
{
    if (s->conn && !s->owns_conn)
        return;
    if (s->conn) /* a prefetch's answer goes with its connection */
        drop_prefetch(s);
    PQfinish(s->conn);
    s->conn = NULL;
    s->owns_conn = false;
}

int pg_ensure_connected(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK) {
        if (PQbackendPID(s->conn) != s->backend_pid)
            new_session(s, s->conn); /* the host reset its connection */
        return UM_OK;
    }
    if (s->conn && !s->owns_conn)
        return pg_error(ctx, UM_ECONNECT, "the host's database connection is not open: %s",
                        PQerrorMessage(s->conn));
    PGconn *early = s->early;
    s->early = NULL;
    disconnect(s);
    int rc = UM_OK;
    PGconn *conn = connect_now(ctx, early, &rc);
    if (!conn)
        return rc;
    PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    /* Revision files are UTF-8 (the parser checks): the URL may not ask
     * the server to read them as something else. */
    if (PQclientEncoding(conn) != pg_char_to_encoding("UTF8") &&
        PQsetClientEncoding(conn, "UTF8") != 0) {
        rc = connect_error(ctx, conn, NULL);
        PQfinish(conn);
        return rc;
    }
    PQsetNoticeReceiver(conn, notice_to_log, ctx);
    s->conn = conn;
    s->owns_conn = true;
    new_session(s, conn);
    learn_password(ctx, conn);
    pg_log(ctx, UM_LOG_DEBUG, "connected to database \"%s\" as \"%s\"", PQdb(conn), PQuser(conn));
    return UM_OK;
}

void pg_session_free(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    if (!s)
        return;
    PQfinish(s->early);
    disconnect(s);
    drop_prefetch(s);
    install_cancel(s, NULL);
    redact_free(&s->secrets);
    free(s->application_name);
    free(s);
    ctx->pg = NULL;
}

/* Async-signal-safe: PQcancel is, and the rest is atomic.  Only while a
 * call runs: on a borrowed connection the host's own query is not ours to
 * cancel. */
void pg_cancel(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    char errbuf[256];
    if (!s)
        return;
    atomic_store(&s->cancel_requested, 1);
    atomic_fetch_add(&s->cancel_users, 1);
    PGcancel *c = atomic_load(&s->busy) ? atomic_load(&s->cancel) : NULL;
    if (c)
        PQcancel(c, errbuf, (int)sizeof(errbuf));
    um_ctx *to = atomic_load(&s->forward);
    if (to)
        pg_cancel(to);
    atomic_fetch_sub(&s->cancel_users, 1);
}

void pg_cancel_forward(um_ctx *ctx, um_ctx *to)
{
    atomic_store(&ctx->pg->forward, to);
    /* a um_cancel() that loaded the old handle counted itself in
     * cancel_users first: the old handle may be closed once it is done */
    while (!to && atomic_load(&ctx->pg->cancel_users) > 0) {
        struct timespec ms = { 0, 1000000L };
        nanosleep(&ms, NULL);
    }
}

/* The host lent its connection with a transaction open (or failed, or a
 * query running): anything sent would run inside it, and a failure would
 * roll back the host's work. */
static bool host_mid_transaction(const pg_session *s)
{
    return s->conn && !s->owns_conn && PQstatus(s->conn) == CONNECTION_OK &&
           PQtransactionStatus(s->conn) != PQTRANS_IDLE;
}

/* In pipeline mode the engine's queries would join the host's pipeline,
 * their results read by the host (and libpq refuses synchronous calls). */
static bool host_in_pipeline(const pg_session *s)
{
    return s->conn && !s->owns_conn && PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF;
}

int pg_call_begin(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    atomic_store(&s->cancel_requested, 0);
    if (host_mid_transaction(s))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "the host's connection (um_open_options.pg_conn) is inside a"
                         " transaction; lend it idle, after COMMIT or ROLLBACK (nothing was sent)");
    if (host_in_pipeline(s))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "the host's connection (um_open_options.pg_conn) is in pipeline mode;"
                         " lend it out of it, after PQexitPipelineMode() (nothing was sent)");
    if (s->conn && !s->owns_conn)
        take_notices(ctx);
    s->call_statements = 0;
    s->resent = false;
    atomic_store(&s->busy, 1);
    return UM_OK;
}

void pg_call_end(um_ctx *ctx)
{
    ctx->pg->timeout_ms = 0;
    ctx->pg->timed_out = false;
    give_notices_back(ctx->pg);
    atomic_store(&ctx->pg->busy, 0);
}

int pg_call_finish(um_ctx *ctx, int rc)
{
    pg_call_end(ctx);
    return rc;
}

void pg_set_statement_timeout(um_ctx *ctx, int ms, const char *setting)
{
    ctx->pg->timeout_ms = ms > 0 ? ms : 0;
    ctx->pg->timeout_setting = setting;
}

void pg_cancel_forget(um_ctx *ctx)
{
    atomic_store(&ctx->pg->cancel_requested, 0);
}

bool pg_cancel_requested(const um_ctx *ctx)
{
    return atomic_load(&ctx->pg->cancel_requested) != 0;
}

bool pg_sleep_unless_cancelled(const um_ctx *ctx, long ms)
{
    for (long left = ms; left > 0 && !pg_cancel_requested(ctx); left -= SLEEP_SLICE_MS) {
        long nap = left < SLEEP_SLICE_MS ? left : SLEEP_SLICE_MS;
        struct timespec ts = { 0, nap * 1000000L };
        nanosleep(&ts, NULL);
    }
    return pg_cancel_requested(ctx);
}

void pg_backoff_start(pg_backoff *b, int timeout_ms, long first_ms, long max_ms)
{
    b->deadline_ms = util_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    b->next_ms = first_ms;
    b->max_ms = max_ms;
}

bool pg_backoff_sleep(const um_ctx *ctx, pg_backoff *b)
{
    double left = b->deadline_ms - util_now_ms();
    if (left <= 0 || pg_cancel_requested(ctx))
        return false;
    /* um_cancel() ends the sleep at once, not after it */
    if (pg_sleep_unless_cancelled(ctx, b->next_ms < left ? b->next_ms : (long)left))
        return false;
    b->next_ms = b->next_ms * 2 > b->max_ms ? b->max_ms : b->next_ms * 2;
    return true;
}

bool pg_in_transaction(const um_ctx *ctx)
{
    PGconn *conn = ctx->pg->conn;
    int st = conn ? (int)PQtransactionStatus(conn) : (int)PQTRANS_IDLE;
    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

int pg_use_utf8(um_ctx *ctx, int *previous)
{
    PGconn *conn = ctx->pg->conn;
    forget_prefetch(ctx->pg);
    *previous = PQclientEncoding(conn);
    if (*previous == pg_char_to_encoding("UTF8") || PQsetClientEncoding(conn, "UTF8") == 0)
        return UM_OK;
    return pg_error(ctx, UM_ECONNECT, "cannot switch the connection's client_encoding to UTF8: %s",
                    PQerrorMessage(conn));
}

void pg_restore_encoding(um_ctx *ctx, int previous)
{
    PGconn *conn = ctx->pg->conn;
    forget_prefetch(ctx->pg);
    if (conn && previous >= 0 && PQclientEncoding(conn) != previous &&
        PQstatus(conn) == CONNECTION_OK)
        PQsetClientEncoding(conn, pg_encoding_to_char(previous));
}

size_t pg_char_offset(const um_ctx *ctx, const char *s, size_t len, int pos)
{
    int enc = ctx->pg->conn ? PQclientEncoding(ctx->pg->conn) : pg_char_to_encoding("UTF8");
    int chars = 0;
    for (size_t i = 0; i < len;) {
        if (++chars == pos)
            return i;
        int n = PQmblen(s + i, enc);
        i += n > 0 ? (size_t)n : 1;
    }
    return len;
}

/* The setting's value when the session set it, else NULL: what it had
 * from the server, database, role or connection options is RESET's to
 * restore (set back by value, it would show as set in the session). */
int pg_swap_setting(um_ctx *ctx, const char *name, const char *value, pg_saved_setting *old)
{
    const char *params[2] = { name, value };
    pg_rows *rows = NULL;
    /* one statement: the old value and its source are read before
     * set_config runs (pg_settings is read whole first, then the targets
     * left to right) */
    int rc = pg_query(ctx,
                      "SELECT CASE WHEN source = 'session' THEN current_setting($1) END,"
                      " set_config($1, $2, false) FROM pg_settings WHERE name = $1",
                      2, params, &rows, NULL);
    if (!rc) {
        const char *was = pg_rows_value(rows, 0, 0);
        old->changed = true;
        old->value = util_strdup_null(was);
        rc = was && !old->value ? err_nomem(&ctx->err) : UM_OK;
    }
    pg_rows_free(rows);
    return rc;
}

int pg_restore_setting(um_ctx *ctx, const char *name, pg_saved_setting *old)
{
    int rc = UM_OK;
    /* a lost session took the setting with it: nothing to put back */
    if (old->changed && pg_connected(ctx)) {
        /* set_config with NULL is RESET */
        const char *params[2] = { name, old->value };
        rc = pg_query(ctx, "SELECT set_config($1, $2, false)", 2, params, NULL, NULL);
    }
    free(old->value);
    old->value = NULL;
    old->changed = false;
    return rc;
}

/* The field, passwords masked (a server quotes what it was given: a
 * database name that was a URL, a value a revision computed). */
static char *dup_field(const um_ctx *ctx, const PGresult *res, int field)
{
    const char *v = PQresultErrorField(res, field);
    return v ? redacted(ctx, v) : NULL;
}

static char *trimmed_dup(const um_ctx *ctx, const char *s)
{
    char *copy = redacted(ctx, s);
    size_t len = copy ? strlen(copy) : 0;
    while (len > 0 && (copy[len - 1] == '\n' || copy[len - 1] == ' '))
        copy[--len] = '\0';
    return copy;
}

void pg_failure_clear(pg_failure *f)
{
    free(f->sqlstate);
    free(f->message);
    free(f->detail);
    free(f->hint);
    memset(f, 0, sizeof(*f));
}

static void fill_failure(const um_ctx *ctx, PGconn *conn, const PGresult *res, pg_failure *f)
{
    pg_failure_clear(f);
    if (res && PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
        const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
        f->sqlstate = util_strdup_null(PQresultErrorField(res, PG_DIAG_SQLSTATE));
        f->message = dup_field(ctx, res, PG_DIAG_MESSAGE_PRIMARY);
        f->detail = dup_field(ctx, res, PG_DIAG_MESSAGE_DETAIL);
        f->hint = dup_field(ctx, res, PG_DIAG_MESSAGE_HINT);
        f->position = pos ? atoi(pos) : 0;
    } else {
        f->message = trimmed_dup(ctx, PQerrorMessage(conn));
    }
    if (ctx->pg->timed_out) {
        strbuf why = STRBUF_INIT;
        sb_printf(&why,
                  "no answer within %d ms (%s), so the statement was cancelled: another session"
                  " may hold a lock on the tables it reads",
                  ctx->pg->timeout_ms, ctx->pg->timeout_setting);
        free(f->message);
        f->message = sb_detach(&why);
    }
    f->connection_lost = PQstatus(conn) != CONNECTION_OK;
}

int pg_failure_to_error(um_ctx *ctx, const pg_failure *f, const char *file, int line,
                        const char *revision, const char *what)
{
    int code = f->connection_lost ? UM_ECONNLOST : UM_ESQL;
    if (!revision && f->sqlstate && strcmp(f->sqlstate, SQLSTATE_QUERY_CANCELED) == 0 &&
        pg_cancel_requested(ctx))
        return ctx_error(ctx, UM_ECANCELLED, file, line, NULL, "%s: cancelled by the host", what);
    if (f->connection_lost)
        ctx_error(ctx, code, file, line, revision,
                  "%s: the connection to the database was lost: %s", what,
                  f->message ? f->message : "no answer");
    else if (f->sqlstate)
        ctx_error(ctx, code, file, line, revision, "%s: %s (SQLSTATE %s)", what,
                  f->message ? f->message : "unknown error", f->sqlstate);
    else
        ctx_error(ctx, code, file, line, revision, "%s: %s", what,
                  f->message ? f->message : "unknown error");
    err_set_server(&ctx->err, f->sqlstate, f->detail, f->hint);
    return code;
}

/* Hands @res to *@out as rows, or clears it when @out is NULL. */
static int keep_rows(um_ctx *ctx, PGresult *res, pg_rows **out)
{
    pg_rows *rows = out ? malloc(sizeof(*rows)) : NULL;
    if (!rows) {
        PQclear(res);
        return out ? err_nomem(&ctx->err) : UM_OK;
    }
    rows->res = res;
    *out = rows;
    return UM_OK;
}

/* Common tail of pg_query and pg_exec: keeps or reports the result. */
static int finish_result(um_ctx *ctx, PGresult *res, pg_rows **out, pg_failure *fail)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        return keep_rows(ctx, res, out);

    pg_failure local = { 0 };
    pg_failure *f = fail ? fail : &local;
    fill_failure(ctx, ctx->pg->conn, res, f);
    PQclear(res);
    int rc = f->connection_lost ? UM_ECONNLOST : UM_ESQL;
    if (!fail)
        rc = pg_failure_to_error(ctx, f, NULL, 0, NULL, "query failed");
    pg_failure_clear(&local);
    if (rc == UM_ECONNLOST)
        disconnect(ctx->pg);
    return rc;
}

/*
 * After a server restart the first statement on a connection made before
 * it fails ("terminating connection due to administrator command"): every
 * call on every handle would fail once.  The first statement of a call is
 * one that may run twice (it reads, or takes the session's lock, which a
 * lost session let go), and nothing of the call changed anything yet: on
 * the engine's own connection it is sent again, once, on a new one.  A
 * borrowed connection is the host's to re-establish.  True when it is to
 * be sent again.
 */
static bool resend_on_new_connection(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    if (PQstatus(s->conn) == CONNECTION_OK) {
        s->call_statements++;
        return false;
    }
    if (!s->owns_conn || s->call_statements > 0 || s->resent)
        return false;
    s->resent = true;
    pg_log(ctx, UM_LOG_INFO, "the connection to the database was lost (%s); connecting again",
           PQerrorMessage(s->conn));
    disconnect(s);
    return true;
}

/* One statement of the three single-result kinds. */
typedef struct statement {
    const char *sql;  /* its text; NULL: run the prepared @name */
    const char *name; /* with @sql: prepare it as @name */
    int nparams;
    const char *const *params;
    int result_format; /* 0 text, 1 binary */
} statement;

static PGresult *send_statement(PGconn *conn, const statement *st)
{
    if (st->sql && st->name)
        return PQprepare(conn, st->name, st->sql, 0, NULL);
    if (st->name)
        return PQexecPrepared(conn, st->name, st->nparams, st->params, NULL, NULL,
                              st->result_format);
    return PQexecParams(conn, st->sql, st->nparams, NULL, st->params, NULL, NULL,
                        st->result_format);
}

static int send_async(PGconn *conn, const statement *st)
{
    if (st->sql && st->name)
        return PQsendPrepare(conn, st->name, st->sql, 0, NULL);
    if (st->name)
        return PQsendQueryPrepared(conn, st->name, st->nparams, st->params, NULL, NULL,
                                   st->result_format);
    return PQsendQueryParams(conn, st->sql, st->nparams, NULL, st->params, NULL, NULL,
                             st->result_format);
}

/* Asks the server to cancel what runs on @conn (it answers with 57014). */
static void cancel_running(PGconn *conn)
{
    char errbuf[256];
    PGcancel *c = PQgetCancel(conn);
    if (c)
        PQcancel(c, errbuf, (int)sizeof(errbuf));
    PQfreeCancel(c);
}

/* Waits up to @ms for input on @conn and reads it; false when the
 * connection failed. */
static bool read_input(PGconn *conn, double ms)
{
    struct pollfd p = { PQsocket(conn), POLLIN, 0 };
    if (p.fd < 0 || (poll(&p, 1, (int)ms + 1) < 0 && errno != EINTR))
        return false;
    return PQconsumeInput(conn) != 0;
}

/*
 * The answer to what was sent, under the call's statement timeout: past
 * it the server is asked to cancel the statement (its answer is then an
 * error); with no answer to that either within as long again, the
 * engine's own connection is given up.  Both set timed_out.
 */
static PGresult *await_result(um_ctx *ctx)
{
    pg_session *s = ctx->pg;
    PGconn *conn = s->conn;
    double deadline = util_now_ms() + s->timeout_ms;
    while (PQisBusy(conn)) {
        double left = deadline - util_now_ms();
        if (left <= 0 && s->timed_out)
            break;
        if (left <= 0) {
            s->timed_out = true;
            cancel_running(conn);
            deadline = util_now_ms() + s->timeout_ms;
            continue;
        }
        if (!read_input(conn, left))
            break;
    }
    if (PQisBusy(conn)) {
        disconnect(s); /* a borrowed one stays, busy: the host's to mend */
        return NULL;
    }
    PGresult *res = PQgetResult(conn), *extra;
    while ((extra = PQgetResult(conn)) != NULL)
        PQclear(extra);
    return res;
}

/* send_statement under the call's statement timeout (await_result). */
static PGresult *send_with_timeout(um_ctx *ctx, const statement *st)
{
    ctx->pg->timed_out = false;
    return send_async(ctx->pg->conn, st) ? await_result(ctx) : NULL;
}

/* Whether @st is the prefetch query, its answer already on the way. */
static bool prefetched(const pg_session *s, const statement *st)
{
    return s->prefetch_sent && st->sql && !st->name && !st->nparams && st->result_format == 1 &&
           strcmp(st->sql, s->prefetch_sql) == 0;
}

/* Sends @st, or takes the answer of the prefetch when @st is that query;
 * any other statement first clears the prefetch's answer away. */
static PGresult *answer(um_ctx *ctx, const statement *st)
{
    pg_session *s = ctx->pg;
    if (!prefetched(s, st)) {
        forget_prefetch(s);
        return s->timeout_ms ? send_with_timeout(ctx, st) : send_statement(s->conn, st);
    }
    s->timed_out = false;
    pg_log(ctx, UM_LOG_DEBUG, "reading the migration state asked for while connecting");
    PGresult *res = s->timeout_ms ? await_result(ctx) : PQgetResult(s->conn), *extra;
    if (res && !s->timeout_ms)
        while ((extra = PQgetResult(s->conn)) != NULL)
            PQclear(extra);
    drop_prefetch(s);
    return res;
}

static int run_statement(um_ctx *ctx, const statement *st, pg_rows **out, pg_failure *fail)
{
    if (out)
        *out = NULL;
    for (;;) {
        int rc = pg_ensure_connected(ctx);
        if (rc)
            return rc;
        PGresult *res = answer(ctx, st);
        if (!resend_on_new_connection(ctx))
            return finish_result(ctx, res, out, fail);
        PQclear(res);
    }
}

int pg_query(um_ctx *ctx, const char *sql, int nparams, const char *const *params, pg_rows **out,
             pg_failure *fail)
{
    statement st = { sql, NULL, nparams, params, 0 };
    return run_statement(ctx, &st, out, fail);
}

int pg_query_binary(um_ctx *ctx, const char *sql, pg_rows **out, pg_failure *fail)
{
    statement st = { sql, NULL, 0, NULL, 1 };
    return run_statement(ctx, &st, out, fail);
}

/*
 * COPY FROM STDIN / TO STDOUT need data the revision file cannot give: the
 * copy is ended with an error (or drained), so the server reports it and
 * the message's transaction rolls back.
 */
static void refuse_copy(PGconn *conn, ExecStatusType st)
{
    if (st == PGRES_COPY_OUT) {
        char *row;
        while (PQgetCopyData(conn, &row, 0) > 0)
            PQfreemem(row);
        return;
    }
    PQputCopyEnd(conn, "COPY FROM STDIN is not supported in revision files;"
                       " use COPY FROM a server file or INSERT");
}

/*
 * The simple-query protocol returns one result per statement; counting the
 * successful ones tells which statement failed when the server's error has
 * no position (a constraint violation, say).  The server skips the rest of
 * the message after an error.
 */
/* Reads every result of a query sent: the first error (NULL: none) and
 * the statements done before it. */
static PGresult *collect_all(PGconn *conn, int *done)
{
    PGresult *res, *error = NULL;
    *done = 0;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            refuse_copy(conn, st);
            PQclear(res);
            continue;
        }
        if (!error &&
            (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE)) {
            error = res;
            continue;
        }
        if (!error && st != PGRES_EMPTY_QUERY)
            (*done)++;
        PQclear(res);
    }
    return error;
}

/* Sends @sql and reads every result: the first error (NULL: none, or
 * *sent false when it could not be sent) and the statements done before. */
static PGresult *exec_all(PGconn *conn, const char *sql, bool *sent, int *done)
{
    *done = 0;
    *sent = PQsendQuery(conn, sql) != 0;
    return *sent ? collect_all(conn, done) : NULL;
}

int pg_exec(um_ctx *ctx, const char *sql, pg_failure *fail)
{
    for (;;) {
        int rc = pg_ensure_connected(ctx);
        if (rc)
            return rc;
        bool sent;
        int done;
        forget_prefetch(ctx->pg);
        PGresult *error = exec_all(ctx->pg->conn, sql, &sent, &done);
        if (resend_on_new_connection(ctx)) {
            PQclear(error);
            continue;
        }
        if (sent && !error)
            return UM_OK;
        rc = finish_result(ctx, error, NULL, fail);
        if (fail)
            fail->statements_done = done;
        return rc;
    }
}

int pg_exec_send(um_ctx *ctx, const char *sql, pg_failure *fail)
{
    int rc = pg_ensure_connected(ctx);
    if (rc)
        return rc;
    forget_prefetch(ctx->pg);
    if (PQsendQuery(ctx->pg->conn, sql))
        return UM_OK;
    return finish_result(ctx, NULL, NULL, fail);
}

int pg_exec_finish(um_ctx *ctx, pg_failure *fail)
{
    int done;
    PGresult *error = collect_all(ctx->pg->conn, &done);
    if (!error && PQstatus(ctx->pg->conn) == CONNECTION_OK)
        return UM_OK;
    int rc = finish_result(ctx, error, NULL, fail);
    if (fail)
        fail->statements_done = done;
    return rc;
}

int pg_startup_pid(const um_ctx *ctx)
{
    return ctx->pg->conn ? PQbackendPID(ctx->pg->conn) : 0;
}

int pg_server_pid(um_ctx *ctx, int *out)
{
    pg_rows *rows = NULL;
    int rc = pg_query(ctx, "SELECT pg_backend_pid()", 0, NULL, &rows, NULL);
    *out = rc ? 0 : atoi(pg_rows_value(rows, 0, 0));
    pg_rows_free(rows);
    return rc;
}

int pg_prepare(um_ctx *ctx, const char *name, const char *sql, pg_failure *fail)
{
    statement st = { sql, name, 0, NULL, 0 };
    return run_statement(ctx, &st, NULL, fail);
}

int pg_query_prepared(um_ctx *ctx, const char *name, int nparams, const char *const *params,
                      pg_rows **out, pg_failure *fail)
{
    statement st = { NULL, name, nparams, params, 0 };
    return run_statement(ctx, &st, out, fail);
}

/* A URL libpq cannot parse: waiting does not fix it (nor does it fix a
 * refusal by the server, UM_EAUTH). */
static bool url_malformed(const um_ctx *ctx)
{
    char *err = NULL;
    if (!ctx->cfg.database_url)
        return false;
    PQconninfoOption *opts = PQconninfoParse(ctx->cfg.database_url, &err);
    bool bad = opts == NULL;
    PQconninfoFree(opts);
    PQfreemem(err); /* it may quote the password */
    return bad;
}

int pg_wait_connected(um_ctx *ctx, int timeout_ms)
{
    pg_backoff wait;
    pg_backoff_start(&wait, timeout_ms, 100, 2000);
    for (int attempt = 1;; attempt++) {
        int rc = pg_ensure_connected(ctx);
        if (rc != UM_ECONNECT || url_malformed(ctx))
            return rc;
        if (wait.deadline_ms <= util_now_ms() || pg_cancel_requested(ctx))
            break;
        log_printf(&ctx->log, UM_LOG_INFO, "waiting for the database (attempt %d): %s", attempt,
                   um_errmsg(ctx));
        if (!pg_backoff_sleep(ctx, &wait))
            break;
    }
    if (pg_cancel_requested(ctx))
        return ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL,
                         "cancelled by the host while waiting for the database");
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "the database did not accept connections within %d ms; last error: %s",
              timeout_ms, um_errmsg(ctx));
    int rc = ctx_error(ctx, UM_ECONNECT, NULL, 0, NULL, "%s",
                       sb_str(&sb) ? sb_str(&sb) : "the database did not come up in time");
    sb_free(&sb);
    return rc;
}

size_t pg_rows_count(const pg_rows *r)
{
    return r ? (size_t)PQntuples(r->res) : 0;
}

/* Only an empty value can be NULL (libpq gives "" for one): a state of
 * 10,000 rows asks for 70,000 values, each libpq call is a bounds check. */
const char *pg_rows_value(const pg_rows *r, size_t row, int col)
{
    const char *v = PQgetvalue(r->res, (int)row, col);
    return *v || !PQgetisnull(r->res, (int)row, col) ? v : NULL;
}

/* A binary value, big-endian as the server sends it; 0 for NULL (length
 * 0) or a value of another size. */
static uint64_t rows_be(const pg_rows *r, size_t row, int col, int size)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(r->res, (int)row, col);
    uint64_t v = 0;
    if (PQgetlength(r->res, (int)row, col) != size)
        return 0;
    for (int i = 0; i < size; i++)
        v = v << 8 | p[i];
    return v;
}

int32_t pg_rows_int4(const pg_rows *r, size_t row, int col)
{
    return (int32_t)(uint32_t)rows_be(r, row, col, 4);
}

int64_t pg_rows_int8(const pg_rows *r, size_t row, int col)
{
    return (int64_t)rows_be(r, row, col, 8);
}

double pg_rows_float8(const pg_rows *r, size_t row, int col)
{
    uint64_t bits = rows_be(r, row, col, 8);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* PostgreSQL counts from 2000-01-01 00:00:00 UTC, 946,684,800 s after 1970. */
int64_t pg_rows_timestamptz(const pg_rows *r, size_t row, int col)
{
    return pg_rows_int8(r, row, col) + INT64_C(946684800) * 1000000;
}

void pg_rows_free(pg_rows *r)
{
    if (!r)
        return;
    PQclear(r->res);
    free(r);
}

/* The number of continuation bytes after lead byte @c, -1 if it cannot lead. */
static int utf8_tail(unsigned char c)
{
    if (c < 0x80)
        return 0;
    if (c >= 0xC2 && c <= 0xDF)
        return 1;
    if ((c & 0xF0) == 0xE0)
        return 2;
    return c >= 0xF0 && c <= 0xF4 ? 3 : -1;
}

/* Whether @s is well-formed UTF-8, as the server checks it: no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const unsigned char *s)
{
    while (*s) {
        int n = utf8_tail(*s);
        if (n < 0 || (*s == 0xE0 && s[1] < 0xA0) || (*s == 0xED && s[1] >= 0xA0) ||
            (*s == 0xF0 && s[1] < 0x90) || (*s == 0xF4 && s[1] >= 0x90))
            return false;
        for (int i = 1; i <= n; i++)
            if ((s[i] & 0xC0) != 0x80)
                return false;
        s += n + 1;
    }
    return true;
}

/*
 * What PQescapeLiteral and PQescapeIdentifier give for a UTF-8 client, for
 * SQL rendered without a connection (offline --sql, whose script sets
 * client_encoding to UTF8): the quote doubled; a literal holding a
 * backslash becomes " E'...'" with the backslashes doubled, which reads
 * the same whatever standard_conforming_strings says.
 */
static bool append_escaped_offline(um_ctx *ctx, strbuf *sb, const char *s, bool ident)
{
    char quote = ident ? '"' : '\'';
    if (!valid_utf8((const unsigned char *)s)) {
        ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "cannot quote '%s': it is not valid UTF-8", s);
        return false;
    }
    bool escape = !ident && strchr(s, '\\') != NULL;
    if (escape)
        sb_puts(sb, " E");
    sb_putc(sb, quote);
    for (const char *p = s; *p; p++) {
        if (*p == quote || (escape && *p == '\\'))
            sb_putc(sb, *p);
        sb_putc(sb, *p);
    }
    sb_putc(sb, quote);
    return true;
}

static bool append_escaped(um_ctx *ctx, strbuf *sb, const char *s, bool ident)
{
    PGconn *conn = ctx->pg->conn;
    if (!conn)
        return append_escaped_offline(ctx, sb, s, ident);
    size_t len = strlen(s);
    char *q = ident ? PQescapeIdentifier(conn, s, len) : PQescapeLiteral(conn, s, len);
    if (!q) {
        pg_error(ctx, UM_ERROR, "cannot quote '%s': %s", s, PQerrorMessage(conn));
        return false;
    }
    sb_puts(sb, q);
    PQfreemem(q);
    return true;
}

bool pg_append_literal(um_ctx *ctx, strbuf *sb, const char *s)
{
    return append_escaped(ctx, sb, s, false);
}

bool pg_append_ident(um_ctx *ctx, strbuf *sb, const char *s)
{
    return append_escaped(ctx, sb, s, true);
}

void pg_params_free(pg_param *params, size_t n)
{
    for (size_t i = 0; params && i < n; i++) {
        free(params[i].keyword);
        free(params[i].envvar);
        free(params[i].value);
    }
    free(params);
}

/*
 * PQconninfo gives the parameters as they were given: with several hosts
 * (host=h1,h2, or a URL's h1,h2), the whole list.  A child given the list
 * would connect on its own, maybe elsewhere (the first host back up, a
 * standby with target_session_attrs=any): the host and port of the server
 * this connection reached replace them, and its address (over TCP) is set
 * as hostaddr, so that a name of several addresses is not resolved again
 * to another; the name stays for the password file and TLS.
 */
static bool pin_live_server(PGconn *conn, pg_param *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *live = NULL;
        if (strcmp(p[i].keyword, "host") == 0)
            live = PQhost(conn);
        else if (strcmp(p[i].keyword, "port") == 0)
            live = PQport(conn);
        else if (strcmp(p[i].keyword, "hostaddr") == 0)
            live = PQhostaddr(conn); /* "" on a socket */
        if (!live || !*live)
            continue;
        char *copy = strdup(live);
        if (!copy)
            return false;
        free(p[i].value);
        p[i].value = copy;
    }
    return true;
}

int pg_conninfo(um_ctx *ctx, pg_param **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int rc = pg_ensure_connected(ctx);
    if (rc)
        return rc;
    PQconninfoOption *opts = PQconninfo(ctx->pg->conn);
    size_t count = 0;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        count++;
    pg_param *p = opts ? util_calloc(count, sizeof(*p)) : NULL;
    bool ok = p != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        p[i].keyword = strdup(opts[i].keyword);
        p[i].envvar = util_strdup_null(opts[i].envvar);
        p[i].value = util_strdup_null(opts[i].val);
        ok = p[i].keyword && (p[i].envvar || !opts[i].envvar) && (p[i].value || !opts[i].val);
    }
    PQconninfoFree(opts);
    ok = ok && pin_live_server(ctx->pg->conn, p, count);
    if (!ok) {
        pg_params_free(p, count);
        return err_nomem(&ctx->err);
    }
    *out = p;
    *n = count;
    return UM_OK;
}

int pg_server_version(const um_ctx *ctx, const char **text)
{
    PGconn *conn = ctx->pg ? ctx->pg->conn : NULL;
    const char *shown = conn ? PQparameterStatus(conn, "server_version") : NULL;
    if (text)
        *text = shown ? shown : "";
    return conn ? PQserverVersion(conn) : 0;
}
