/*
 * lint_rules.h - between the statement loop (lint_run.c) and the checks
 * (lint_rules.c): a parsed statement, the revision it belongs to, and the
 * way a check reports a finding.
 */
#ifndef LIB_LINT_RULES_H
#define LIB_LINT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "lint.h"
#include "lint_catalog.h"
#include "lint_tree.h"

/* One revision file as the checks see it. */
typedef struct lint_revision {
    bool transactional;       /* runs in one transaction (the default) */
    bool engine_lock_timeout; /* the configuration sets lock_timeout */
    bool lock_timeout_set;    /* a SET lock_timeout ran earlier in the file */
    bool lock_reported;       /* missing-lock-timeout was reported in it */
    unsigned serial;          /* 1 for the run's first file, then 2, ... */
} lint_revision;

struct lint_source; /* lint_run.c's state of the file being read */

/* One statement being checked. */
typedef struct lint_stmt {
    lint_revision *rev;
    lint_catalog *cat;
    struct lint_source *source; /* for lint_emit */
    size_t base;                /* where the parsed text starts in the section */
    size_t first;               /* the statement's first token in the section */
    const char *text;           /* the parsed text (at base), not NUL-terminated */
    size_t len;                 /* its length */
} lint_stmt;

/*
 * Records a finding of @rule at @location, a "location" of the parse tree
 * (a byte offset in the parsed text), or at the statement's first token
 * when @location is negative.  Implemented by lint_run.c, which applies
 * severities and suppressions and maps the offset to line and column.
 */
void lint_emit(lint_stmt *st, lint_rule rule, int location, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether @rule is on (a check that can report one of two rules uses it). */
bool lint_enabled(const lint_stmt *st, lint_rule rule);

/*
 * Whether a rule may read the statement of @len bytes that starts at @sql
 * (its first token), judged by its first keywords: false for the kinds of
 * statement no check reads (INSERT, COMMENT, GRANT, CREATE FUNCTION, a
 * SELECT that calls no set_config, ...), which a section that parsed as a
 * whole need not parse again.  True for anything it does not recognise.
 */
bool lint_statement_matters(const char *sql, size_t len);

/* Runs every rule on the statement @stmt (the node under a RawStmt). */
void lint_check_statement(lint_stmt *st, const PgQuery__Node *stmt);

#endif
