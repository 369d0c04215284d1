/*
 * apply.h - what a run sends for a revision, shared with the modules that
 * render it (render_sql.c: offline SQL) or try it (dryrun.c: dry runs), so
 * that a script, a dry run and a run send the same text.
 */
#ifndef LIB_APPLY_H
#define LIB_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"
#include "pg.h"
#include "script.h"
#include "strbuf.h"

#include <pg_query.h>

/*
 * The configured lock_timeout and statement_timeout as statements; @local
 * limits them to the current transaction, else they hold for the session.
 * Returns the number of statements appended.
 */
int apply_append_timeouts(const um_ctx *ctx, strbuf *sb, bool local);

/* The syntax error libpg_query found in @body (@e), as the server would
 * report it, at the revision's line: UM_ESQL with SQLSTATE 42601. */
int apply_syntax_error(um_ctx *ctx, const script_file *s, um_direction dir, const char *body,
                       int first_line, const PgQueryError *e);

/*
 * UM_ESQL (SQLSTATE 42601, at the file's line) unless @body, the SQL of
 * @s in direction @dir starting at @first_line, lexes to its end: an
 * unterminated comment, string or quoted identifier would swallow what
 * follows it in a message (or a script).
 */
int apply_check_terminated(um_ctx *ctx, const script_file *s, um_direction dir, const char *body,
                           int first_line);

/*
 * A revision's SQL as a run sends it: the timeouts (@local: see
 * apply_append_timeouts), then @body, closed by a line with a semicolon of
 * its own (a last statement without one, or a body ending in a comment,
 * stays apart from what follows).  *@body_off (when not NULL) receives the
 * body's byte offset in @sb.  Returns the number of statements before it.
 */
int apply_append_revision(const um_ctx *ctx, strbuf *sb, const char *body, bool local,
                          size_t *body_off);

/*
 * Appends the EXECUTE that records the step of graph index @idx in
 * direction @dir, the database's applied set being @applied before it
 * (graph_count bytes: a step down makes heads of the parents and
 * dependencies no other applied revision stands on).  false on failure (error on the handle, or
 * out of memory in @sb).
 */
bool apply_append_record(um_ctx *ctx, strbuf *sb, const unsigned char *applied, um_direction dir,
                         size_t idx, double duration_ms);

/*
 * The file line of a failure inside @body, which starts at byte @body_off
 * of the message @msg sent and at @first_line of the file, after
 * @prefix_statements statements of the message.  0 when the failure is
 * outside the body.
 */
int apply_failure_line(const um_ctx *ctx, const char *msg, size_t body_off, const char *body,
                       int first_line, int prefix_statements, const pg_failure *f);

#endif
