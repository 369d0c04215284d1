/*
 * txblock.h - the statements of a section that a transaction block cannot
 * hold: transaction control (BEGIN, COMMIT, ROLLBACK, ABORT, END, PREPARE
 * TRANSACTION...), which would end or nest the transaction the engine runs
 * a transactional revision in, and the statements PostgreSQL refuses
 * inside one (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM, CREATE and
 * DROP DATABASE, REINDEX CONCURRENTLY...); and DISCARD, DEALLOCATE and
 * pg_advisory_unlock_all(), which no revision may hold.
 *
 * Found with libpg_query's parser before anything runs, statement by
 * statement: a statement is parsed into its tree (lint_tree.h) only when
 * its words could make it one of these, so that a section of ordinary DDL
 * costs one split and no tree.
 */
#ifndef LIB_TXBLOCK_H
#define LIB_TXBLOCK_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

#include "error.h"
#include "strbuf.h"

typedef enum txblock_kind {
    TXBLOCK_CONTROL,      /* transaction control */
    TXBLOCK_NOT_IN_BLOCK, /* refused inside a transaction block */
    TXBLOCK_SYNTAX_ERROR, /* the section does not parse: nothing else was looked at */
    TXBLOCK_SESSION,      /* DISCARD, DEALLOCATE, pg_advisory_unlock_all(): they reset
                             the session the engine keeps its own state in (its
                             advisory lock, its prepared statements), transactional
                             or not */
    TXBLOCK_SETTING       /* SET or RESET of a session setting, not LOCAL, or a
                             statement SELECT set_config('name', value, false): it
                             would outlive the revision (what: the setting's name,
                             as the server knows it: "role" for SET ROLE).  Not
                             seen: RESET ALL, SET SESSION CHARACTERISTICS,
                             set_config() with a name or is_local that is not a
                             constant, or inside an expression, a DO block or a
                             function */
} txblock_kind;

/* One statement found, valid during the callback. */
typedef struct txblock_hit {
    txblock_kind kind;
    const char *what;  /* "COMMIT", "CREATE INDEX CONCURRENTLY"; the parser's message for
                         a syntax error */
    const char *text;  /* the statement's first line as written, at most 60 bytes */
    int line;          /* its line in the file */
    bool unterminated; /* a syntax error of the lexer: an unterminated comment,
                          string or quoted identifier, which would swallow what
                          follows it whatever the server's version */
} txblock_hit;

/* Called for each statement found, in order; return false to stop. */
typedef bool (*txblock_cb)(const txblock_hit *hit, void *payload);

/*
 * Scans the section @sql, whose first byte is at line @first_line of its
 * file.  UM_OK (whatever was found), UM_ENOMEM, or UM_ECANCELLED once
 * um_cancel(@cancel) was called (NULL: never; looked at between
 * statements, so that a section of millions of them stops at once).
 */
int txblock_scan(const char *sql, int first_line, txblock_cb cb, void *payload,
                 const um_ctx *cancel, err_buf *err);

/*
 * Appends to @names the session settings @sql (at line @first_line) SETs
 * or RESETs, not LOCAL (TXBLOCK_SETTING), as "name\n" each; a name set
 * twice is there twice.  UM_OK, UM_ENOMEM or UM_ECANCELLED (txblock_scan).
 */
int txblock_settings(const char *sql, int first_line, strbuf *names, const um_ctx *cancel,
                     err_buf *err);

/* The value setting @name (the @i-th of a list) goes back to; NULL: its
 * session default (RESET). */
typedef const char *(*txblock_value_fn)(size_t i, const char *name, void *arg);

/*
 * Appends "SELECT set_config('name', value, false), ...;" for each setting
 * of @names ("name\n" each), which puts back, for the revisions after, the
 * session settings a revision changed; nothing when @names is NULL or
 * empty.  false when out of memory (or quoting failed: error on @ctx).
 */
bool txblock_append_settings_back(um_ctx *ctx, strbuf *sb, const char *names,
                                  txblock_value_fn value, void *arg);

/*
 * The SQL of a transaction control statement of @kind ("COMMIT" for COMMIT
 * and END, "ROLLBACK" for ROLLBACK and ABORT...), or NULL for the kinds
 * that stay inside a transaction (SAVEPOINT, RELEASE, ROLLBACK TO); lint's
 * transaction-control rule names them so too.
 */
const char *txblock_transaction_word(PgQuery__TransactionStmtKind kind);

#endif
