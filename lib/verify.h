/*
 * verify.h - whether the revision files can be trusted to run and the
 * database is where they say (um_verify), and the check an upgrade or a
 * downgrade makes of the sections it is about to run.
 *
 * Modules: verify.c (the checks, the result, JSON), txblock.c (what a
 * transaction block cannot hold), roundtrip.c (the stairway test, which
 * compares schema models, schema_model.h), drift.c (the database against
 * the schema file).
 */
#ifndef LIB_VERIFY_H
#define LIB_VERIFY_H

#include "internal.h"

/*
 * The sections verify_plan_sections checked, kept for the run (@keep not
 * NULL): a step then runs the very text that was checked, without reading
 * its file a second time or scanning it again.  Kept while their sizes add
 * up to CHECKED_SECTIONS_MAX at most; a step whose text was not kept (sql
 * NULL) reads and scans its file as before.
 */
typedef struct checked_sections {
    char **sql; /* one per step, or NULL */
    int *first_line;
    char **settings;     /* per step: the session settings it SETs or RESETs, "name\n"
                            each; NULL: none (kept whatever the budget) */
    strbuf all_settings; /* those of every step, each once */
    size_t n, bytes;
} checked_sections;

/* Longer than any setting's name (the server's limit is 63 bytes). */
#define NAMEDATALEN_MAX 128

#define CHECKED_SECTIONS_MAX ((size_t)64 << 20)

/*
 * Before a run, and before its offline SQL is written: every step's
 * section (up or down, as the plan goes) is scanned (txblock.h).  Fails
 * with UM_EPARSE naming the file and the line, before anything runs, on
 * DISCARD or DEALLOCATE, on an unterminated comment, string or quoted
 * identifier, and in a transactional revision on transaction control or a
 * statement refused inside a transaction block.  Other syntax errors are
 * left to the server, which may know syntax this parser does not.  An
 * upgrade's empty up section (any revision but a merge) is logged as a
 * warning, and runs.  UM_ECANCELLED after um_cancel().
 */
int verify_plan_sections(um_ctx *ctx, const um_plan *plan, checked_sections *keep);

/* Step @k's checked text, taken (the caller frees it), and its first
 * line; false when it was not kept. */
bool checked_sections_take(checked_sections *cs, size_t k, char **sql, int *first_line);
/* The session settings step @k's SQL SETs or RESETs (not LOCAL), as
 * "name\n" each; NULL when none (txblock.h: TXBLOCK_SETTING). */
const char *checked_sections_settings(const checked_sections *cs, size_t k);
void checked_sections_free(checked_sections *cs);

/* The place (0 first) of the name at [@name, @name + @len) in @list, a
 * "name\n" list as settings and all_settings are (NULL: empty), or -1. */
int checked_sections_setting_index(const char *list, const char *name, size_t len);

/* ---- the result (verify.c), shared with roundtrip.c and drift.c ---------- */

struct um_verify_result {
    um_verify_finding *findings;
    size_t n, cap;
    size_t n_errors;
    um_verify_online online;
    char *online_reason;
    um_status_info *status;  /* what the online part read, or NULL */
    const char **file_heads; /* into the graph */
    size_t n_file_heads;
    char *drift_sql; /* the drift check's script, or NULL when it did not run */
    bool failed;     /* an allocation failed: the call ends in UM_ENOMEM */
};

/*
 * Appends a finding and returns it (its drift fields NULL, for the caller
 * to fill with strings of its own); @code is static, the strings are
 * copied and the message formatted.  Out of memory sets r->failed and
 * returns NULL.
 */
um_verify_finding *verify_add(um_verify_result *r, um_verify_severity severity, const char *code,
                              const char *revision, const char *file, int line, const char *fmt,
                              ...) __attribute__((format(printf, 7, 8)));

/* UM_ECANCELLED, with its message, once um_cancel() was called during
 * um_verify; UM_OK before. */
int verify_cancelled(um_ctx *ctx);

/* The stairway test (roundtrip.c) on the database at @url; findings go to @r. */
int roundtrip_run(um_ctx *ctx, const char *url, um_verify_result *r);

/* The drift check (drift.c): findings go to @r, the script to r->drift_sql. */
int drift_run(um_ctx *ctx, um_verify_result *r);

#endif
