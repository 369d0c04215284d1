/*
 * error.h - the error kept on a handle, and the logger.
 *
 * Every module reports failure by filling a um_errbuf: a UM_E* code, a
 * message, and where it applies (file, line, revision, server fields).  The
 * message is composed as "FILE:LINE: revision REV: text" so that it always
 * names the place, whoever prints it.
 */
#ifndef UM_ERROR_H
#define UM_ERROR_H

#include <ultramigrate/ultramigrate.h>

typedef struct um_errbuf {
    struct um_error_detail d; /* strings below are owned (cast away const to free) */
} um_errbuf;

/*
 * Records an error and returns @code.  @file, @line (0: none) and
 * @revision (NULL: none) prefix the formatted text.
 */
int um_err_set(um_errbuf *e, int code, const char *file, int line, const char *revision,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Adds server fields to the current error (each may be NULL). */
void um_err_set_server(um_errbuf *e, const char *sqlstate, const char *detail, const char *hint);

/* Returns @code with "out of memory" recorded. */
int um_err_nomem(um_errbuf *e);

void um_err_clear(um_errbuf *e);

/* Moves the error in @from to @to (replacing what @to had). */
void um_err_move(um_errbuf *to, um_errbuf *from);

/* The logger a handle carries; a NULL callback discards messages. */
typedef struct um_logger {
    um_log_cb cb;
    void *payload;
    um_log_level level;
} um_logger;

void um_logf(const um_logger *log, um_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
