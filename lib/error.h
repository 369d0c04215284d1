/*
 * error.h - the error kept on a handle, and the logger.
 *
 * Every module reports failure by filling a err_buf: a UM_E* code, a
 * message, and where it applies (file, line, revision, server fields).  The
 * message is composed as "FILE:LINE: revision REV: text" so that it always
 * names the place, whoever prints it.
 */
#ifndef LIB_ERROR_H
#define LIB_ERROR_H

#include <ultramigrate/ultramigrate.h>

typedef struct err_buf {
    um_error_info d; /* strings below are owned (cast away const to free) */
} err_buf;

/*
 * Records an error and returns @code.  @file, @line (0: none) and
 * @revision (NULL: none) prefix the formatted text.
 */
int err_set(err_buf *e, int code, const char *file, int line, const char *revision, const char *fmt,
            ...) __attribute__((format(printf, 6, 7)));

/*
 * The check of every versioned struct a call takes: UM_EVERSION recorded
 * ("um_apply_options version 7 is not supported (expected 1)") unless
 * @version is @expected; UM_OK otherwise.
 */
int err_check_version(err_buf *e, const char *type, unsigned int version, unsigned int expected);

/* Adds server fields to the current error (each may be NULL). */
void err_set_server(err_buf *e, const char *sqlstate, const char *detail, const char *hint);

/* Returns @code with "out of memory" recorded. */
int err_nomem(err_buf *e);

/* The code of the error recorded on @e, or UM_ENOMEM recorded now when
 * there is none: for a step that failed without a word (a strbuf that ran
 * out of memory records nothing). */
int err_code_or_nomem(err_buf *e);

void err_clear(err_buf *e);

/*
 * Says what the error recorded on @e meant to the caller: the message
 * becomes "TEXT: MESSAGE" (TEXT formatted from @fmt; um_strerror() of its
 * code when there was none), the code @code; where it points (file, line,
 * revision) and the server's fields stay.  Out of memory leaves the
 * message as it was.  Returns @code.
 */
int err_prefix(err_buf *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Clean-up after a failure may fail too, but the first failure is what the
 * caller must see: err_stash() takes the error off @e (leaving it clear) and
 * err_unstash() puts it back, dropping whatever the clean-up recorded.
 */
err_buf err_stash(err_buf *e);
void err_unstash(err_buf *e, err_buf *stash);

/*
 * Around every call into the host (a callback) a handle makes: while one
 * runs, the handle refuses the calls a callback may not make (CTX_ENTER:
 * UM_EINVAL, its error untouched), and its error is set aside, so that
 * what a callback may call (um_revision_lookup() of an unknown id) neither
 * clears nor replaces the error of the call it runs in.
 */
typedef struct host_guard {
    err_buf *err; /* the handle's */
    int depth;    /* callbacks running */
} host_guard;

/* Before a callback: @g's error goes to @kept. */
void host_guard_enter(host_guard *g, err_buf *kept);
/* After it: the error is back from @kept, what the callback left dropped. */
void host_guard_leave(host_guard *g, err_buf *kept);

/* The logger a handle carries; a NULL callback discards messages. */
typedef struct log_sink {
    um_log_cb cb;
    void *payload;
    um_log_level level;
    host_guard *guard; /* the handle's; NULL: none (a configuration read alone) */
} log_sink;

void log_printf(const log_sink *log, um_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
