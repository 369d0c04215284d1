/*
 * lint_do.h - the SQL statements inside a DO block's PL/pgSQL body, each
 * with where it starts in the revision's section (see lint_do.c).
 */
#ifndef LIB_LINT_DO_H
#define LIB_LINT_DO_H

#include <stddef.h>

#include "internal.h"

/* Called with a statement's text and the offset in the section of its
 * first byte. */
typedef void (*lint_do_each_fn)(const char *query, size_t off, void *payload);

/*
 * Calls @each for every statement the PL/pgSQL body of the DO block runs
 * as SQL, in order.  @sql, @len: the section; @literal: the offset of the
 * body's string literal (the DO statement's "as" DefElem location).  A
 * body that is not a dollar-quoted or plain quoted literal, or that
 * PL/pgSQL rejects, calls nothing.  UM_OK or UM_ENOMEM.
 */
int lint_do_each(const char *sql, size_t len, size_t literal, lint_do_each_fn each, void *payload);

#endif
