/*
 * lint.h - what a revision will do to a live system, read from PostgreSQL's
 * own parse tree (libpg_query) before it runs.
 *
 * A lint run reads revision files in the order they would be applied and
 * keeps what it learnt from the earlier ones (tables they create, views,
 * CHECK constraints), so that a table created by a pending revision is not
 * treated as a table that production traffic already uses.  Each finding
 * names a rule, a severity and a position in the revision FILE (line and
 * column, columns counted in characters from 1).
 *
 * Modules: lint.c (the public API, results, JSON), lint_run.c (files,
 * sections, statements, positions, suppressions), lint_rules.c (the rule
 * table and the checks), lint_catalog.c (what the run has seen so far),
 * lint_tree.c (libpg_query's parse tree as typed structs, and a walk).
 */
#ifndef LIB_LINT_H
#define LIB_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include <ultramigrate/ultramigrate.h>

#include "config.h"
#include "error.h"

/* The rules, in the order docs/lint.md lists them.  Append only where the
 * order does not matter; nothing outside lint depends on the numbers. */
typedef enum lint_rule {
    LINT_SYNTAX_ERROR,
    /* data loss */
    LINT_DROP_TABLE,
    LINT_DROP_COLUMN,
    LINT_DROP_SCHEMA,
    LINT_DROP_DATABASE,
    LINT_TRUNCATE,
    LINT_DELETE_WITHOUT_WHERE,
    LINT_UPDATE_WITHOUT_WHERE,
    LINT_LOSSY_TYPE_CHANGE,
    /* long locks and rewrites of existing tables */
    LINT_ALTER_COLUMN_TYPE,
    LINT_SET_NOT_NULL,
    LINT_VOLATILE_DEFAULT,
    LINT_REQUIRED_COLUMN,
    LINT_CREATE_INDEX,
    LINT_DROP_INDEX,
    LINT_REINDEX,
    LINT_CONSTRAINT_NOT_VALID,
    LINT_VALIDATE_SAME_TX,
    LINT_KEY_WITHOUT_INDEX,
    LINT_VACUUM_FULL,
    LINT_CLUSTER,
    LINT_LOCK_TABLE,
    /* breaking the running application */
    LINT_RENAME_TABLE,
    LINT_RENAME_COLUMN,
    LINT_COLUMN_IN_VIEW,
    /* mistakes */
    LINT_CONCURRENTLY_IN_TX,
    LINT_VACUUM_IN_TX,
    LINT_TRANSACTION_CONTROL,
    LINT_MISSING_DOWN,
    LINT_SERIAL,
    LINT_TIMESTAMP,
    LINT_LENGTH_LIMIT,
    LINT_INTEGER_PK,
    LINT_LOCK_TIMEOUT,
    /* suppressions */
    LINT_IGNORE_WITHOUT_REASON,
    LINT_IGNORE_UNKNOWN_RULE,
    LINT_N_RULES
} lint_rule;

/* A rule's severity; LINT_OFF only ever comes from the configuration. */
enum { LINT_OFF = 0 };

/* The rule's kebab-case id ("drop-table") and default severity. */
const char *lint_rule_id(lint_rule rule);
um_lint_severity lint_rule_default(lint_rule rule);

/* The rule named @id, or -1 (config.c checks lint.RULE keys with it). */
int lint_rule_find(const char *id);

/*
 * "error", "warning" (or "warn") and "off" as a severity (LINT_OFF for
 * off); -1 for anything else.
 */
int lint_severity_parse(const char *word);

/* Static "error" or "warning". */
const char *lint_severity_name(um_lint_severity severity);

/* ---- a run ----------------------------------------------------------- */

typedef struct lint_run lint_run;

/*
 * A new run with @cfg's severities (lint.RULE keys) and lock_timeout; @cfg
 * may be NULL (defaults, no engine lock_timeout).  UM_ENOMEM.
 */
int lint_run_new(lint_run **out, const config_settings *cfg, err_buf *err);

/*
 * Reads @path and lints its up section (a revision file), or the whole of
 * it when it is plain SQL (no "-- migrate:up" marker).  Findings are kept
 * on the run; what the file creates is remembered for the next files.
 * UM_EIO (unreadable), UM_EPARSE (a malformed revision header), UM_ENOMEM.
 */
int lint_file(lint_run *run, const char *path, err_buf *err);

/* As lint_file(), for a file's text already in memory (generate). */
int lint_text(lint_run *run, const char *path, const char *text, size_t len, err_buf *err);

/*
 * Hands the findings over (the run keeps none): *out is the public result,
 * freed with um_lint_free().  The run itself must still be freed.
 */
int lint_run_result(lint_run *run, um_lint_result **out, err_buf *err);

void lint_run_free(lint_run *run);

/*
 * Lints the revisions @graph_index[0..n) of @ctx's graph as one run, in that
 * order (an upgrade plan's order): the hook for lint_on_upgrade, which apply
 * calls before it takes the lock.
 */
int lint_revisions(um_ctx *ctx, const size_t *graph_index, size_t n, um_lint_result **out);

/*
 * lint_on_upgrade in one call, for upgrade to make once it knows its plan:
 * with lint_on_upgrade = off, does nothing; else lints the revisions
 * @graph_index[0..n) as lint_revisions() does and logs the findings
 * through the handle's logger.  UM_ELINT, nothing to be run, when
 * lint_on_upgrade = error and a finding is an error; other errors as
 * lint_revisions().
 */
int lint_gate(um_ctx *ctx, const size_t *graph_index, size_t n);

/*
 * Logs every finding of @result through @log, compiler-style
 * ("file:line:col: severity: message [rule]"), errors at UM_LOG_ERROR,
 * warnings at UM_LOG_WARNING.
 */
void lint_log_findings(const log_sink *log, const um_lint_result *result);

/* ---- the result (lint.c) --------------------------------------------- */

struct um_lint_result {
    um_lint_finding *findings;
    size_t n, cap;
    size_t n_errors, n_warnings;
    size_t n_files, n_statements; /* what was linted */
    char **strings;               /* file paths and revision ids findings share */
    size_t n_strings, cap_strings;
};

/*
 * Appends a finding; @file and @revision must be strings of the result
 * (lint_result_keep), @message is taken over (freed on failure).
 */
int lint_result_add(um_lint_result *r, lint_rule rule, um_lint_severity severity, const char *file,
                    const char *revision, int line, int column, char *message);

/*
 * Orders the findings from index @from on by line, then column, keeping
 * the order of findings at the same position (a stable sort: a file's
 * findings arrive almost in order, which insertion sort handles in a pass).
 */
void lint_result_sort(um_lint_result *r, size_t from);

/* A copy of @s kept by @r (NULL in, NULL out); NULL on out of memory. */
const char *lint_result_keep(um_lint_result *r, const char *s);

void lint_result_free(um_lint_result *r);

#endif
