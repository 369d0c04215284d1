/*
 * pg.h - the only module that talks to libpq: connecting, running SQL,
 * reading rows and turning server errors into ultramigrate errors.
 */
#ifndef LIB_PG_H
#define LIB_PG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "internal.h"

/* The server's error codes the engine acts on (PostgreSQL, Appendix A). */
#define SQLSTATE_UNDEFINED_TABLE    "42P01"
#define SQLSTATE_SYNTAX_ERROR       "42601"
#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"
#define SQLSTATE_NO_SUCH_STATEMENT  "26000"
#define SQLSTATE_UNDEFINED_COLUMN   "42703"
#define SQLSTATE_UNDEFINED_SCHEMA   "3F000"
#define SQLSTATE_UNIQUE_VIOLATION   "23505"
#define SQLSTATE_DUPLICATE_TABLE    "42P07"
#define SQLSTATE_DUPLICATE_SCHEMA   "42P06"
#define SQLSTATE_DUPLICATE_OBJECT   "42710"
#define SQLSTATE_LOCK_LOST          "55000" /* object not in prerequisite state */
#define SQLSTATE_INVALID_CATALOG    "3D000" /* no such database */
#define SQLSTATE_NO_PRIVILEGE       "42501"
#define SQLSTATE_READ_ONLY          "25006" /* read-only transaction */
#define SQLSTATE_QUERY_CANCELED     "57014"
#define SQLSTATE_DATATYPE_MISMATCH  "42804"
#define SQLSTATE_UNDEFINED_FUNCTION "42883"

/* The handle's connection and server session (struct in pg.c). */
typedef struct pg_session pg_session;

/* Creates ctx->pg; UM_ENOMEM.  The first thing um_open does. */
int pg_session_create(um_ctx *ctx, const char *application_name);

/* At um_close: closes an owned connection, forgets a borrowed one and
 * frees ctx->pg.  Modules clean up what they hold on the session first. */
void pg_session_free(um_ctx *ctx);

/*
 * A number that changes whenever a new server session starts on the
 * handle's connection (0: none yet).  A module records it with what it
 * prepares or takes on the session; when it differs, that is gone.
 */
unsigned long pg_generation(const um_ctx *ctx);

/* The handle opened the connection (false: borrowed, or none yet). */
bool pg_owns_connection(const um_ctx *ctx);

/* There is a connection and libpq thinks it open. */
bool pg_connected(const um_ctx *ctx);

/*
 * Brackets every public call that uses the database: the cancel request
 * of an earlier call is forgotten and um_cancel() acts until
 * pg_call_end().  UM_EINVAL (and no pg_call_end) when a borrowed
 * connection is inside the host's transaction: nothing is sent on it.
 */
int pg_call_begin(um_ctx *ctx);
void pg_call_end(um_ctx *ctx);
/* pg_call_end(), then @rc: "rc = pg_call_begin(ctx); return rc ? rc :
 * pg_call_finish(ctx, work(ctx))" runs one piece of work as a call. */
int pg_call_finish(um_ctx *ctx, int rc);

/*
 * For the rest of the call (until pg_call_end), each statement that has
 * no answer @ms after it was sent (0: no limit) is cancelled, as the
 * server's statement_timeout and lock_timeout would, and fails with
 * SQLSTATE 57014 and a message naming @setting: a health probe must not
 * wait behind a lock on the bookkeeping tables.
 */
void pg_set_statement_timeout(um_ctx *ctx, int ms, const char *setting);

/*
 * While set, um_cancel(@ctx) also cancels @to (NULL: nothing): a call that
 * works on a second handle of its own (autogenerate's scratch databases)
 * stays cancellable through the host's handle.  Clear it before @to is
 * closed.
 */
void pg_cancel_forward(um_ctx *ctx, um_ctx *to);

/* Forgets a cancel request, as pg_call_begin() does, for a call that may
 * not send anything (um_verify offline). */
void pg_cancel_forget(um_ctx *ctx);

/* um_cancel() was called since the call began. */
bool pg_cancel_requested(const um_ctx *ctx);

/* Sleeps @ms or until um_cancel(); true when cancelled. */
bool pg_sleep_unless_cancelled(const um_ctx *ctx, long ms);

/*
 * A wait that backs off: each pg_backoff_sleep() sleeps the next interval
 * (doubling from @first_ms to @max_ms), never past @timeout_ms from
 * pg_backoff_start().  False, without sleeping, once the time is up; false
 * too when um_cancel() ended the sleep (pg_cancel_requested() tells).
 */
typedef struct pg_backoff {
    double deadline_ms; /* util_now_ms() */
    long next_ms;
    long max_ms;
} pg_backoff;
void pg_backoff_start(pg_backoff *b, int timeout_ms, long first_ms, long max_ms);
bool pg_backoff_sleep(const um_ctx *ctx, pg_backoff *b);

/* um_cancel(): asks the running call to stop and the server to cancel its
 * statement; async-signal-safe. */
void pg_cancel(um_ctx *ctx);

/* Connects unless connected.  UM_ECONNECT with a message that never shows a
 * password. */
int pg_ensure_connected(um_ctx *ctx);

/* libpq's version, as PQlibVersion() gives it (150004: 15.4). */
int pg_libpq_version(void);

/* Starts connecting without waiting (see pg.c); errors wait for first use. */
void pg_connect_early(um_ctx *ctx);

/*
 * With a connection started early: @sql (no parameters, rows in binary
 * format) is to be sent as soon as it is up, by pg_poll_early, which the
 * reading of the revision files calls now and then.  The first
 * pg_query_binary of the same text takes its answer; any other statement
 * first reads that answer and drops it.  Only for a query that cannot
 * wait on a lock and that changes nothing.
 */
int pg_prefetch(um_ctx *ctx, const char *sql);
/* Moves the early connection on without waiting; with @wait, until it is
 * up (or failed: the first call then connects again and reports it). */
void pg_poll_early(um_ctx *ctx, bool wait);

/* Rows of a query; wraps a PGresult. */
typedef struct pg_rows pg_rows;
size_t pg_rows_count(const pg_rows *r);
/* Value at (row, col) or NULL for SQL NULL.  In rows of
 * pg_query_binary, text columns read so too; numbers and times with: */
const char *pg_rows_value(const pg_rows *r, size_t row, int col);
/* int4 / int8 / float8 at (row, col) of binary rows; 0 for NULL. */
int32_t pg_rows_int4(const pg_rows *r, size_t row, int col);
int64_t pg_rows_int8(const pg_rows *r, size_t row, int col);
double pg_rows_float8(const pg_rows *r, size_t row, int col);
/* timestamptz at (row, col) of binary rows, as microseconds since 1970. */
int64_t pg_rows_timestamptz(const pg_rows *r, size_t row, int col);
void pg_rows_free(pg_rows *r);

/* A server error, owned strings (pg_failure_clear frees them). */
typedef struct pg_failure {
    char *sqlstate;
    char *message;
    char *detail;
    char *hint;
    int position;        /* 1-based character in the query, 0 if none */
    int statements_done; /* pg_exec: statements that succeeded before it */
    bool connection_lost;
} pg_failure;

void pg_failure_clear(pg_failure *f);

/*
 * Runs one query with parameters (text format).  On a server error returns
 * UM_ESQL and, when @fail is not NULL, fills it; else records the error on
 * the handle.  @out may be NULL when no rows are wanted.
 */
int pg_query(um_ctx *ctx, const char *sql, int nparams, const char *const *params, pg_rows **out,
             pg_failure *fail);

/*
 * pg_query without parameters, the rows in binary format: the server sends
 * numbers and times as they are stored instead of formatting each (for
 * 10,000 rows of the state query, 12 ms of 23).  Read them with
 * pg_rows_int4() and the others.
 */
int pg_query_binary(um_ctx *ctx, const char *sql, pg_rows **out, pg_failure *fail);

/*
 * Runs @sql with the simple-query protocol (several statements allowed, one
 * round trip).  Errors as pg_query.
 */
int pg_exec(um_ctx *ctx, const char *sql, pg_failure *fail);

/*
 * pg_exec in two halves, so that the server runs @sql while the caller
 * does other work (on another connection): pg_exec_send sends it, and
 * pg_exec_finish, which must follow before anything else is sent on
 * @ctx, reads its results.  Errors as pg_exec, from either half; there is
 * no resending on a new connection.
 */
int pg_exec_send(um_ctx *ctx, const char *sql, pg_failure *fail);
int pg_exec_finish(um_ctx *ctx, pg_failure *fail);

/* Records @f on the handle as UM_ESQL (or UM_ECONNLOST when the
 * connection was lost), prefixed with @what; as UM_ECANCELLED when the
 * statement was cancelled (57014) after um_cancel() and is none of a
 * revision's (@revision NULL: the state, the bookkeeping, the lock). */
int pg_failure_to_error(um_ctx *ctx, const pg_failure *f, const char *file, int line,
                        const char *revision, const char *what);

/* Quoted literal / identifier for SQL text (PQescapeLiteral /
 * PQescapeIdentifier); appended to @sb.  false on failure (error set).
 * Without a connection (offline --sql) they quote as for a UTF-8 client,
 * as libpq would. */
struct strbuf;
bool pg_append_literal(um_ctx *ctx, struct strbuf *sb, const char *s);
bool pg_append_ident(um_ctx *ctx, struct strbuf *sb, const char *s);

/* Prepares @sql as the named statement @name on the connection. */
int pg_prepare(um_ctx *ctx, const char *name, const char *sql, pg_failure *fail);

/* Runs the named prepared statement; as pg_query otherwise. */
int pg_query_prepared(um_ctx *ctx, const char *name, int nparams, const char *const *params,
                      pg_rows **out, pg_failure *fail);

/* Connects, retrying what waiting can fix until @timeout_ms have passed. */
int pg_wait_connected(um_ctx *ctx, int timeout_ms);

/*
 * The backend pid the connection was opened with (what the server that
 * answered the startup said, PQbackendPID), and in *@out the pid of the
 * server session that runs a statement now (pg_backend_pid(), one round
 * trip).  A direct connection gives the same; a pooler that hands each
 * transaction to any server session gives others.
 */
int pg_startup_pid(const um_ctx *ctx);
int pg_server_pid(um_ctx *ctx, int *out);

/* Uses the host's connection (um_open_options.pg_conn). */
void pg_adopt(um_ctx *ctx, void *host_conn);

/* The session is inside a transaction block (open or failed). */
bool pg_in_transaction(const um_ctx *ctx);

/* Sets the client encoding to UTF8 (the revision files' encoding) for a
 * run, returning the previous one for pg_restore_encoding. */
int pg_use_utf8(um_ctx *ctx, int *previous);
void pg_restore_encoding(um_ctx *ctx, int previous);

/* Byte offset in @s of the 1-based character @pos, counted in the
 * connection's client encoding as the server counts error positions. */
size_t pg_char_offset(const um_ctx *ctx, const char *s, size_t len, int pos);

/* A session setting as it was before pg_swap_setting changed it. */
typedef struct pg_saved_setting {
    bool changed; /* pg_swap_setting changed it */
    char *value;  /* the value the session had set; NULL: not set there */
} pg_saved_setting;

/*
 * Sets the session setting @name to @value, saving in @old what to put
 * back with pg_restore_setting, so that a borrowed connection is left as
 * it was found: the session's own value, or none (RESET).
 */
int pg_swap_setting(um_ctx *ctx, const char *name, const char *value, pg_saved_setting *old);

/* Puts back what @old saved (nothing unless changed) and frees it. */
int pg_restore_setting(um_ctx *ctx, const char *name, pg_saved_setting *old);

/* One parameter of the live connection, as PQconninfo gives it. */
typedef struct pg_param {
    char *keyword;
    char *envvar; /* libpq's environment variable for it; NULL: none */
    char *value;  /* NULL: not set */
} pg_param;

/*
 * Every parameter libpq knows, with the value the handle's connection was
 * made with (the URL, a service file, the PG* variables and libpq's
 * defaults resolved), the password included: the caller keeps that out of
 * sight.  host, port and hostaddr are those of the server the connection
 * reached (PQhost, PQport, PQhostaddr), not the list it was given.
 * Connects first.  Free with pg_params_free.
 */
int pg_conninfo(um_ctx *ctx, pg_param **out, size_t *n);
void pg_params_free(pg_param *params, size_t n);

/* The server's version as a number (PQserverVersion: 150006), and in
 * *@text (when not NULL) as the server reports it ("15.6 (Debian ...)",
 * "" when unknown).  0 when not connected. */
int pg_server_version(const um_ctx *ctx, const char **text);

/*
 * Formats, masks every password the engine knows of (the message may
 * quote what the server said: an application_name, a setting), and
 * records the error; @code.
 */
int pg_error(um_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
