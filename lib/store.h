/*
 * store.h - the engine's state in the database: the version table (one row
 * per current head, Alembic's layout), the applied table (one row per
 * applied revision) and the append-only history, all in
 * version_table_schema.  The lock that serialises runs is lock.h's.
 *
 * Table names: <version_table>, <version_table>_applied and
 * <version_table>_history.  Every identifier is quoted with
 * PQescapeIdentifier and every value passed as a parameter, or quoted with
 * PQescapeLiteral where it shares one message with a revision's SQL.
 */
#ifndef LIB_STORE_H
#define LIB_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"
#include "script.h"
#include "strbuf.h"

struct pg_rows;

/* How much of each applied row a state holds: a summary leaves out who
 * applied it, where, and how long it took (um_applied's duration_ms 0,
 * applied_by, host, application_name and tool_version NULL). */
typedef enum store_detail { STORE_SUMMARY, STORE_DETAILED } store_detail;

typedef struct store_state {
    bool tables_exist;
    bool detailed;      /* STORE_DETAILED */
    const char **heads; /* version table rows */
    size_t n_heads;
    um_applied *applied; /* applied table rows, oldest first (message, known
                          * and checksum_ok are left to status) */
    size_t n_applied;
    const char *last_revision; /* the newest history entry's revision and state (what */
    const char *last_state;    /* health reads a failed run from); NULL: none */
    bool needs_upgrade;        /* tables of an earlier version (store_upgrade_tables) */
    struct pg_rows *rows;      /* owns the strings of heads and applied */
    char *dates;               /* owns the applied_at strings, STORE_DATE_SIZE each */
} store_state;

/* Connects (unless connected) and quotes the table names once. */
int store_connect(um_ctx *ctx);

/* Quotes the table names once, without connecting (offline --sql: see
 * pg_append_ident). */
int store_names(um_ctx *ctx);

/* Has the state's query sent as soon as the early connection is up
 * (pg_prefetch), for store_read_state_as with the same @detail to take
 * its answer. */
int store_prefetch_state(um_ctx *ctx, store_detail detail);

/* UM_EBOOKKEEPING when an object by a bookkeeping table's name is not of
 * the shape the engine keeps there (a table of the user's, a view), naming
 * it and what is wrong; before a run writes to tables that exist. */
int store_check_tables(um_ctx *ctx);

/* At um_close: frees what the store kept (struct store_session). */
void store_session_free(um_ctx *ctx);

/* Reads versions and applied rows in one query.  Missing tables are an
 * empty state (tables_exist false), not an error.  On failure *out holds
 * nothing to free. */
int store_read_state_as(um_ctx *ctx, store_detail detail, store_state *out);

/* store_read_state_as a summary: what runs, plans and checks need. */
int store_read_state(um_ctx *ctx, store_state *out);
void store_state_free(store_state *st);

/* Whether @id is one of the version table's rows (a current head). */
bool store_is_head(const store_state *st, const char *id);

/* Whether applied row @a is of a revision a run did not finish: state
 * in_progress or failed (only "Transactional: no" revisions have such). */
bool store_row_unfinished(const um_applied *a);

/* store_read_state_as as a public call's only use of the database,
 * between pg_call_begin and pg_call_end (status); store_read_state_call
 * reads a summary (plan, lint, verify). */
int store_read_state_call_as(um_ctx *ctx, store_detail detail, store_state *out);
int store_read_state_call(um_ctx *ctx, store_state *out);

/* What a health snapshot reads each time, in one query. */
typedef struct store_summary {
    bool tables_exist;
    long long history_id;      /* the newest history entry, 0: none */
    const char *last_state;    /* ... its state ("ok", "failed"), NULL: none */
    const char *last_revision; /* ... its revision */
    const char *heads;         /* the version rows as "a,b", NULL: none */
    const char *unfinished;    /* applied rows not applied: "rev state,...", NULL: none */
    struct pg_rows *rows;      /* owns the strings */
} store_summary;

/* When the newest in_progress applied row was marked, as the server's
 * timestamptz text (one row; NULL: none): asked for only when health needs
 * to tell the run applying it (lock_probe), not in every snapshot. */
int store_read_marked_at(um_ctx *ctx, struct pg_rows **out);

/*
 * Reads the summary, with a statement prepared once per session.  Missing
 * tables are an empty summary (tables_exist false), not an error; a
 * version table alone (another tool's) gives its heads.
 */
int store_read_summary(um_ctx *ctx, store_summary *out);
void store_summary_free(store_summary *s);

/* Creates the schema and tables when missing (@have_version_table: only
 * the others are, which the log says), then upgrades them as
 * store_upgrade_tables does.  Call with the lock held. */
int store_ensure_tables(um_ctx *ctx, bool have_version_table);

/* "schema"."<version_table>@suffix", quoted (free()); NULL with the error
 * set on failure.  After store_connect. */
char *store_qualified_name(um_ctx *ctx, const char *suffix);

/* This machine's name, recorded with each step.  After store_connect. */
const char *store_host(const um_ctx *ctx);

/* Appends the CREATE SCHEMA of version_table_schema to @sql when the
 * schema is missing (nothing otherwise). */
int store_append_create_schema(um_ctx *ctx, strbuf *sql);

/* Brings tables an earlier version made up to date, in place: the applied
 * table's statements_done column, the directions the history's check
 * accepts.  Nothing when they are.  Call with the lock held. */
int store_upgrade_tables(um_ctx *ctx);

/*
 * The statements of store_ensure_tables, appended to @sql, for a script
 * (--sql) that runs them itself; @need_schema: CREATE SCHEMA too.  The
 * appenders below likewise give the text the online path sends, so that
 * a rendered script and a run share it.  Failures are sticky in @sql (or
 * on the handle, for quoting: check ctx->err).
 */
void store_append_create_tables(um_ctx *ctx, strbuf *sql, bool need_schema);

/* The PREPAREs of store_prepare and the DEALLOCATEs of store_unprepare. */
void store_append_prepare(const um_ctx *ctx, strbuf *sql);
void store_append_unprepare(strbuf *sql);

/* The statements of store_mark_in_progress and store_set_statements_done. */
bool store_append_in_progress(um_ctx *ctx, strbuf *sb, const script_file *s, um_direction dir);
bool store_append_statements_done(um_ctx *ctx, strbuf *sb, const script_file *s, int done);

/* The ANALYZE of store_analyze (no semicolon). */
void store_append_analyze(const um_ctx *ctx, strbuf *sql);

/*
 * Prepares the statements that write the bookkeeping tables, once per
 * server session; the functions below that write call it.  Call with the
 * tables in place.  With lock_mode = table nothing is prepared (a pooler
 * may send each transaction to another server session): the writers send
 * the statements' texts with their values in place instead.
 */
int store_prepare(um_ctx *ctx);

/* Drops them again from a borrowed connection, as it was found. */
void store_unprepare(um_ctx *ctx);

/*
 * Appends to @sb the EXECUTE that records one step, to be sent in the same
 * message as the revision's SQL (after store_prepare).  For UM_UP: the
 * version rows of @heads (the revision's parents) are replaced by the
 * revision; for UM_DOWN the revision's row is replaced by @heads (the
 * parents that become heads).  The applied row and a history row are
 * written too.
 */
bool store_append_step_record(um_ctx *ctx, strbuf *sb, const script_file *s, um_direction dir,
                              const char *const *heads, size_t n_heads, double duration_ms);

/* Pass as duration_ms: let the server measure from the message's start. */
#define STORE_SERVER_DURATION (-1.0)

/* Marks a revision whose statements run outside a transaction as in
 * progress before its first statement, with no statement done (UM_UP: its
 * applied row is made; UM_DOWN: the one it has is marked). */
int store_mark_in_progress(um_ctx *ctx, const script_file *s, um_direction dir);

/* Records that @done statements of such a revision succeeded (in a
 * transaction of its own, after each). */
int store_set_statements_done(um_ctx *ctx, const script_file *s, int done);

/* How a step that did not complete ended. */
typedef enum store_stop {
    STORE_FAILED,            /* rolled back whole */
    STORE_FAILED_UNFINISHED, /* part of it stays: its applied row, if any, is marked failed */
    STORE_CANCELLED          /* stopped by the host, rolled back whole (or never started) */
} store_stop;

/* Records a step that did not complete in the history (its own
 * transaction).  Nothing when the lock was lost with its session. */
int store_record_stop(um_ctx *ctx, const script_file *s, um_direction dir, double duration_ms,
                      const char *error, store_stop how);

/*
 * Replaces the state by @heads and @applied (script pointers) without
 * running SQL of revisions: Alembic's stamp.  An applied row already in
 * state applied in @st is kept as it is.  One transaction.
 */
int store_stamp(um_ctx *ctx, const store_state *st, const script_file *const *heads, size_t n_heads,
                const script_file *const *applied, size_t n_applied);

/*
 * Records the revisions @applied (script pointers, in apply order) as
 * adopted from the version table another tool kept: an applied row each
 * with the file's checksum, and a history row each (direction "stamp",
 * state "ok", the note 'adopted from "schema"."table": recorded as
 * applied, not run' in its error column, which holds a repair's decision
 * too).  The version table is left as it is.  One transaction.
 */
int store_adopt(um_ctx *ctx, const script_file *const *applied, size_t n_applied);

/*
 * Records a restore in the history: one entry per head of the restored
 * version table (@heads; "base" when there is none), direction "restore",
 * @checksum (the backup's SHA-256, NULL: unknown).  History tables made
 * before "restore" was a direction are let accept it first.  Call with
 * the tables in place.
 */
int store_record_restore(um_ctx *ctx, const char *const *heads, size_t n_heads,
                         const char *checksum);

/*
 * Records the operator's decision on @revision, an unfinished revision:
 * the version rows become @heads, its applied row is made applied with
 * @checksum (the file's) or, with NULL, deleted; a history row with
 * direction "repair" carries @note.  One transaction.
 */
int store_repair(um_ctx *ctx, const char *const *heads, size_t n_heads, const char *revision,
                 const char *checksum, const char *note);

/* Stores the files' checksums for the applied revisions @scripts, a
 * history row each with @notes[i].  One transaction. */
int store_repair_checksums(um_ctx *ctx, const script_file *const *scripts, const char *const *notes,
                           size_t n);

/* Refreshes the bookkeeping tables' statistics (errors only logged). */
void store_analyze(um_ctx *ctx);

/* Reads the history (newest @limit rows, 0: all), oldest first. */
int store_read_history(um_ctx *ctx, size_t limit, um_history_list **out);

#endif
