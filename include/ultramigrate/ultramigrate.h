/*
 * ultramigrate.h - the stable C API of libultramigrate.
 *
 * libultramigrate evolves a PostgreSQL schema from a directory of SQL
 * revision files that form a revision graph (bases, branches, merges).
 * A host opens an engine with um_open(), asks for a plan or directly for an
 * upgrade or rollback, and reads the database's migration status.
 *
 * Conventions (they hold for every function below):
 *  - Functions returning int return UM_OK (0) on success or a negative
 *    UM_E* code on failure.  The code never changes meaning; new codes are
 *    only appended.
 *  - After a failure on a handle, um_errmsg() and um_error_detail() say
 *    why.  Both point into the handle and stay valid until the next call on
 *    that handle.
 *  - Strings passed in are copied; the caller keeps ownership.  Memory the
 *    library hands out is freed with the matching *_free() function or with
 *    um_free().  Every *_free() function accepts NULL.
 *  - Options structs start with a version field; initialise them with the
 *    UM_*_OPTIONS_INIT macro or um_*_options_init().  A NULL options pointer
 *    means "all defaults".  Fields are only ever appended.
 *  - The library never writes to stdout or stderr; it reports through the
 *    log callback given at um_open().
 *
 * Thread safety: there is no global state.  One um_ctx must be used by one
 * thread at a time; different handles are independent and may be used from
 * different threads at once.  A um_plan, um_status_info or um_history_list,
 * once returned, is read-only and may be read from any thread, but must not
 * outlive the um_ctx it came from.
 */
#ifndef ULTRAMIGRATE_H
#define ULTRAMIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <ultramigrate/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UM_BUILDING_LIBRARY) && defined(__GNUC__)
#define UM_API __attribute__((visibility("default")))
#else
#define UM_API
#endif

/** Result codes.  Append only; never renumbered. */
typedef enum um_result {
    UM_OK = 0,
    UM_ERROR = -1,          /**< unexpected internal failure */
    UM_ENOMEM = -2,         /**< out of memory */
    UM_EINVAL = -3,         /**< invalid argument to an API call */
    UM_ECONNECT = -4,       /**< cannot connect to (or lost) the database */
    UM_ELOCKED = -5,        /**< another run holds the migration lock */
    UM_ECHECKSUM = -6,      /**< an applied revision's file has changed */
    UM_ESQL = -7,           /**< a revision's SQL failed on the server */
    UM_ECANCELLED = -8,     /**< cancelled by the host */
    UM_EVERSION = -9,       /**< options struct of an unknown version */
    UM_ECONFIG = -10,       /**< bad configuration (file, key, value) */
    UM_EPARSE = -11,        /**< a revision file is malformed */
    UM_EGRAPH = -12,        /**< bad revision graph (cycle, duplicate, missing parent) */
    UM_ETARGET = -13,       /**< target unknown, ambiguous or unreachable */
    UM_EIRREVERSIBLE = -14, /**< downgrade across a revision without down section */
    UM_EIO = -15,           /**< file system error */
    UM_ESTATE = -16,        /**< database state the revision files do not explain */
    UM_ESTALE = -17,        /**< the database changed since the plan was made */
    /**
     * The server refused the role or the database: a wrong or missing
     * password, an unknown role or one not allowed to log in, no
     * pg_hba.conf entry, a database that does not exist or that the role
     * may not connect to.  Decided by the SQLSTATE the server sent (class
     * 28, 3D000, 42501; in the error detail) or libpq's "password needed",
     * never by the message's words.  Waiting does not fix it, unlike
     * UM_ECONNECT (refused, unreachable, starting up).
     */
    UM_EAUTH = -18
} um_result;

/** Log levels passed to the log callback. */
typedef enum um_log_level {
    UM_LOG_ERROR = 0,
    UM_LOG_WARNING = 1,
    UM_LOG_INFO = 2,
    UM_LOG_DEBUG = 3
} um_log_level;

/** Direction of a plan or a step. */
typedef enum um_direction { UM_UP = 1, UM_DOWN = -1 } um_direction;

/** The engine: configuration, revision graph and (lazily) one connection. */
typedef struct um_ctx um_ctx;
/** An ordered list of steps computed by um_plan_create(). */
typedef struct um_plan um_plan;

/**
 * Log callback.  @p msg is valid only during the call.  Called from the
 * thread that is using the handle.
 */
typedef void (*um_log_cb)(um_log_level level, const char *msg, void *payload);

/** Where a step is when the progress callback is called. */
typedef enum um_step_phase { UM_STEP_START = 0, UM_STEP_DONE = 1 } um_step_phase;

/** Payload of the progress callback; valid only during the call. */
typedef struct um_step_info {
    um_direction direction;
    um_step_phase phase;
    const char *revision; /**< revision id */
    const char *message;  /**< the revision's message */
    size_t index;         /**< 0-based index of the step in the plan */
    size_t total;         /**< number of steps in the plan */
    double elapsed_ms;    /**< time spent on this step (0 at UM_STEP_START) */
} um_step_info;

/**
 * Progress callback.  Called before and after every step.  Returning
 * non-zero cancels the run before the next step; the run then fails with
 * UM_ECANCELLED and the steps already done stay done (with
 * transaction_per_migration = false, the whole run rolls back).  The
 * callback may call um_revision_count(), um_revision_at() and
 * um_revision_lookup() on the running handle, and nothing else on it.
 */
typedef int (*um_progress_cb)(const um_step_info *step, void *payload);

/* ------------------------------------------------------------------ */
/* Version and errors                                                   */
/* ------------------------------------------------------------------ */

/** The library's version string, "MAJOR.MINOR.PATCH".  Static. */
UM_API const char *um_version(void);

/** Static English text for a UM_* code; never NULL. */
UM_API const char *um_strerror(int code);

/**
 * Structured detail of the last error on a handle (a struct tag, like
 * struct stat, because the accessor function has the same name).  Fields that do not apply
 * are NULL (strings) or 0 (line).  Owned by the handle.
 */
struct um_error_detail {
    int code;             /**< the UM_E* code, 0 when no error */
    const char *message;  /**< the full message, as um_errmsg() */
    const char *revision; /**< revision id the error concerns */
    const char *file;     /**< file the error concerns */
    int line;             /**< 1-based line in that file, 0 if unknown */
    const char *sqlstate; /**< SQLSTATE from the server */
    const char *detail;   /**< server's DETAIL */
    const char *hint;     /**< server's HINT */
};

/**
 * Every call on a handle whose um_open() failed returns um_open()'s code
 * and leaves its message in place.
 *
 * Message of the last error on @p ctx, or "" when the last call succeeded.
 * Owned by @p ctx; valid until the next call on it.  NULL ctx: "out of memory"
 * (um_open() only leaves *out NULL when it could not allocate).
 */
UM_API const char *um_errmsg(const um_ctx *ctx);

/** Detail of the last error on @p ctx; never NULL for a non-NULL ctx. */
UM_API const struct um_error_detail *um_error_detail(const um_ctx *ctx);

/** Frees memory the library handed out (strings from um_plan_render... etc). */
UM_API void um_free(void *ptr);

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

/** Options of um_open(). */
typedef struct um_open_options {
    unsigned int version;        /**< UM_OPEN_OPTIONS_VERSION */
    const char *config_path;     /**< ultramigrate.ini, or NULL for none */
    const char *database_url;    /**< overrides environment and config; NULL: see README */
    const char *script_location; /**< overrides the config's script_location */
    um_log_cb log_cb;            /**< NULL: no logging */
    void *log_payload;
    um_log_level log_level;       /**< most verbose level passed to log_cb */
    const char *application_name; /**< for pg_stat_activity; NULL: "ultramigrate" */
    /**
     * A connection of the host's (a libpq PGconn *) to use instead of
     * opening one; NULL: connect from the URL.  The library borrows it: it
     * never closes or resets it, and leaves its session as it found it
     * after each call (no open transaction, settings restored or RESET,
     * nothing left prepared, the migration lock released, libpq's notice
     * receiver back: docs/embedding.md).  The host must not use it while a call on the handle
     * runs, and must lend it idle: a call that finds it inside a
     * transaction (open or failed) returns UM_EINVAL and sends nothing.
     * A borrowed connection that drops is reported (UM_ECONNECT,
     * or an unreachable health snapshot) until the host re-establishes it.
     */
    void *pg_conn;
    /**
     * Non-zero: start connecting while the revision files are read (for a
     * caller that will need the database at once, as a command-line tool
     * does); a failure surfaces at the first call that needs the database.
     * 0 (default): connect at that first call.
     */
    int connect_early;
} um_open_options;

#define UM_OPEN_OPTIONS_VERSION 1
#define UM_OPEN_OPTIONS_INIT                                                                       \
    {                                                                                              \
        UM_OPEN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, UM_LOG_INFO, NULL, NULL, 0          \
    }

/** Fills @p opts with defaults.  @return UM_OK or UM_EINVAL. */
UM_API int um_open_options_init(um_open_options *opts, unsigned int version);

/**
 * Opens an engine: reads the configuration, reads every revision file once
 * (header and checksum) and builds the revision graph.  It does not connect
 * (unless connect_early asks it to start): the connection is made by the
 * first call that needs the database.
 *
 * @param out   receives the handle.  On failure *out is still set (unless
 *              memory ran out) so the caller can read um_errmsg(); it must
 *              then be closed with um_close().
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_ECONFIG, UM_EIO,
 *         UM_EPARSE or UM_EGRAPH.
 */
UM_API int um_open(um_ctx **out, const um_open_options *opts);

/** Closes the connection (unless borrowed) and frees the handle.  NULL: no-op. */
UM_API void um_close(um_ctx *ctx);

/**
 * Waits until the database accepts connections (start-up ordering in a
 * container: the server may still be starting), retrying with backoff for
 * up to @p timeout_ms milliseconds.  Connection refused, no such host yet
 * and "the database system is starting up" are retried; a refusal by the
 * server (UM_EAUTH: a wrong password, a missing database) and a malformed
 * URL are not.
 * @return UM_OK once connected, UM_ECONNECT at the deadline or on a bad
 *         URL, UM_EAUTH at once, UM_ECANCELLED after um_cancel().
 */
UM_API int um_wait_for_database(um_ctx *ctx, int timeout_ms);

/**
 * Asks a running call on @p ctx to stop: the run stops before its next
 * revision, and the statement running now is cancelled on the server
 * (PQcancel), so the revision it belongs to rolls back.  The call then
 * fails with UM_ECANCELLED, and the history records the revision as
 * "cancelled" (the health snapshot then says UM_HEALTH_CANCELLED, not
 * UM_HEALTH_FAILED), unless a "Transactional: no" revision was part-way:
 * that is recorded as failed.  um_wait_for_database() returns
 * UM_ECANCELLED at once, in a backoff sleep or a connection attempt.  Unlike every other function, this one may be
 * called from another thread or from a signal handler while the handle is
 * in use.  The request holds until the next call on the handle starts.
 */
UM_API void um_cancel(um_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Revision files                                                       */
/* ------------------------------------------------------------------ */

/** One revision file.  Owned by the handle; read-only. */
typedef struct um_revision {
    const char *id;             /**< Revision ID */
    const char *message;        /**< first header line */
    const char *path;           /**< path of the file */
    const char *create_date;    /**< Create Date header, or NULL */
    const char *const *parents; /**< Revises: ids (merge: several) */
    size_t n_parents;
    const char *const *depends_on; /**< Depends On: ids */
    size_t n_depends_on;
    const char *checksum; /**< hex SHA-256 of the up section */
    int transactional;    /**< 0 for "Transactional: no" */
    int has_down;         /**< 0: irreversible */
    int is_head;          /**< no revision revises it */
    int is_base;          /**< revises nothing */
    int is_merge;         /**< more than one parent */
    int is_branch_point;  /**< more than one child */
} um_revision;

/** Number of revision files. */
UM_API size_t um_revision_count(const um_ctx *ctx);

/**
 * The @p i-th revision in topological order (bases first, each revision
 * after its parents and dependencies); NULL when out of range.
 */
UM_API const um_revision *um_revision_at(const um_ctx *ctx, size_t i);

/**
 * Resolves @p rev to one revision: a full id, a unique prefix, "head" (the
 * only head), or REV+N / REV-N.
 * @return UM_OK with *out set, UM_EINVAL or UM_ETARGET (unknown, ambiguous
 *         prefix listing the candidates, several heads for "head").
 */
UM_API int um_revision_lookup(um_ctx *ctx, const char *rev, const um_revision **out);

/* ------------------------------------------------------------------ */
/* Plans                                                                */
/* ------------------------------------------------------------------ */

/** One step of a plan.  Owned by the plan. */
typedef struct um_step {
    um_direction direction;
    const char *revision;
    const char *message;
    const char *path;
    int transactional;
} um_step;

/**
 * Computes what brings the database to @p target, reading the database's
 * state once.  Targets follow Alembic: "head", "heads", "base", a full id or
 * unique prefix, "+N", "-N", "REV+N", "REV-N".  For UM_UP the plan applies
 * every missing ancestor of the target in topological order; for UM_DOWN it
 * removes exactly the applied revisions that descend from the target,
 * newest first, and fails with UM_EIRREVERSIBLE before anything runs when
 * one of them has no down section.
 *
 * @param out  receives the plan (free with um_plan_free()); NULL on failure.
 * @return UM_OK, UM_EINVAL, UM_ENOMEM, UM_ETARGET, UM_EIRREVERSIBLE,
 *         UM_ECONNECT, UM_EAUTH, UM_ESQL, UM_ESTATE, UM_ECHECKSUM (an applied
 *         revision's file changed).
 */
UM_API int um_plan_create(um_plan **out, um_ctx *ctx, um_direction direction, const char *target);

/** Number of steps (0: nothing to do). */
UM_API size_t um_plan_step_count(const um_plan *plan);

/** The @p i-th step, or NULL when out of range. */
UM_API const um_step *um_plan_step(const um_plan *plan, size_t i);

/** Frees a plan.  NULL: no-op. */
UM_API void um_plan_free(um_plan *plan);

/** Options of um_apply(), um_upgrade() and um_rollback(). */
typedef struct um_apply_options {
    unsigned int version;       /**< UM_APPLY_OPTIONS_VERSION */
    um_progress_cb progress_cb; /**< NULL: none */
    void *progress_payload;
} um_apply_options;

#define UM_APPLY_OPTIONS_VERSION 1
#define UM_APPLY_OPTIONS_INIT                                                                      \
    {                                                                                              \
        UM_APPLY_OPTIONS_VERSION, NULL, NULL                                                       \
    }

/** Fills @p opts with defaults.  @return UM_OK or UM_EINVAL. */
UM_API int um_apply_options_init(um_apply_options *opts, unsigned int version);

/**
 * Runs a plan under the migration lock (a session-level advisory lock,
 * waited for up to the configured lock_wait).  Under the lock the state is
 * read again: steps another process already did are skipped; any other
 * change fails with UM_ESTALE.  With transaction_per_migration each
 * revision commits together with its bookkeeping; otherwise the whole plan
 * is one transaction.  A failing revision stops the run; revisions before it
 * stay applied (per-migration mode) and the failure is recorded in the
 * history.  The error detail names revision, file, line and SQLSTATE.
 *
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL,
 *         UM_ECHECKSUM, UM_ECANCELLED, UM_ESTALE, UM_EIO.
 */
UM_API int um_apply(um_ctx *ctx, const um_plan *plan, const um_apply_options *opts);

/**
 * Plans and applies an upgrade to @p target (NULL: "heads") in one call,
 * planning under the lock so that concurrent callers apply each revision
 * exactly once.  Codes as um_plan_create() and um_apply().
 */
UM_API int um_upgrade(um_ctx *ctx, const char *target, const um_apply_options *opts);

/** As um_upgrade(), downwards: the downgrade to @p target (required). */
UM_API int um_rollback(um_ctx *ctx, const char *target, const um_apply_options *opts);

/**
 * Sets the database's state to @p target ("base", "heads", revisions...)
 * without running any revision SQL, as Alembic's stamp: the version table
 * then holds the target's heads and the applied table its ancestors.
 */
UM_API int um_stamp(um_ctx *ctx, const char *target);

/**
 * Creates the bookkeeping tables when they are missing (under the lock).
 * Other calls do this on first use too.
 * @return UM_OK, UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL.
 */
UM_API int um_ensure_schema(um_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Status and history                                                   */
/* ------------------------------------------------------------------ */

/** One applied revision as the database records it. */
typedef struct um_applied {
    const char *revision;
    const char *message;    /**< from the file, or NULL if unknown */
    const char *checksum;   /**< stored at apply time */
    const char *applied_at; /**< ISO 8601 with time zone */
    double duration_ms;
    const char *applied_by; /**< database role */
    const char *host;       /**< client host name */
    const char *application_name;
    const char *tool_version;
    const char *state; /**< "applied", "in_progress" or "failed" */
    int known;         /**< a revision file exists for it */
    int checksum_ok;   /**< file's checksum equals the stored one */
} um_applied;

/** Status of the database against the revision files. */
typedef struct um_status_info {
    char **current_heads; /**< version table rows */
    size_t n_current_heads;
    char **file_heads; /**< heads of the revision graph */
    size_t n_file_heads;
    um_applied *applied; /**< in apply order, oldest first */
    size_t n_applied;
    const um_revision **pending; /**< in the order an upgrade to heads would apply them */
    size_t n_pending;
} um_status_info;

/**
 * Reads the database's state (one query) and compares it with the files.
 * @param out  receives the status; free with um_status_free().
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ESQL.
 */
UM_API int um_status(um_ctx *ctx, um_status_info **out);

/** Frees a status.  NULL: no-op. */
UM_API void um_status_free(um_status_info *status);

/** One entry of the append-only history. */
typedef struct um_history_entry {
    int64_t id;
    const char *revision;
    const char *direction;  /**< "up", "down" or "stamp" */
    const char *state;      /**< "ok", "failed" or "cancelled" */
    const char *started_at; /**< ISO 8601 */
    double duration_ms;
    const char *applied_by;
    const char *host;
    const char *application_name;
    const char *tool_version;
    const char *error; /**< failure message, or NULL */
} um_history_entry;

typedef struct um_history_list {
    um_history_entry *entries; /**< oldest first */
    size_t count;
} um_history_list;

/**
 * Reads the history, oldest first (the newest @p limit entries; 0: all).
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ESQL.
 */
UM_API int um_history(um_ctx *ctx, size_t limit, um_history_list **out);

/** Frees a history list.  NULL: no-op. */
UM_API void um_history_free(um_history_list *history);

/* ------------------------------------------------------------------ */
/* Health snapshot                                                      */
/* ------------------------------------------------------------------ */

/** The database's migration status, as a health check reports it. */
typedef enum um_health_status {
    UM_HEALTH_OK = 0,          /**< at the heads of the files, nothing failed */
    UM_HEALTH_PENDING = 1,     /**< revisions in the files are not applied yet */
    UM_HEALTH_FAILED = 2,      /**< a revision is in progress or failed */
    UM_HEALTH_AHEAD = 3,       /**< the database has revisions the files do not know */
    UM_HEALTH_DIVERGED = 4,    /**< an applied revision's file has changed since */
    UM_HEALTH_UNREACHABLE = 5, /**< the database cannot be reached */
    /**
     * The last run was cancelled (um_cancel(), a progress callback) and left
     * nothing half done, and revisions remain to apply: not a failure (a
     * SIGTERM during a rolling deploy), the next run continues.  A
     * "Transactional: no" revision cancelled part-way is UM_HEALTH_FAILED.
     */
    UM_HEALTH_CANCELLED = 6
} um_health_status;

#define UM_HEALTH_MAX_HEADS 8
#define UM_HEALTH_ID_SIZE   33 /* a revision id (at most 32) and its NUL */

/**
 * A health snapshot, in memory the caller owns (no allocation, nothing to
 * free).  The caller sets version to UM_HEALTH_VERSION; fields are only
 * appended.
 */
typedef struct um_health {
    unsigned int version; /**< UM_HEALTH_VERSION, set by the caller */
    um_health_status status;
    /** Version table rows: the first UM_HEALTH_MAX_HEADS of n_current_heads. */
    char current_heads[UM_HEALTH_MAX_HEADS][UM_HEALTH_ID_SIZE];
    size_t n_current_heads;
    /** Heads of the revision files, likewise. */
    char expected_heads[UM_HEALTH_MAX_HEADS][UM_HEALTH_ID_SIZE];
    size_t n_expected_heads;
    size_t pending;                       /**< revisions an upgrade to heads would apply
                                          (0 when ahead or unreachable: unknown) */
    char last_applied[UM_HEALTH_ID_SIZE]; /**< newest applied revision, "" if none */
    char last_applied_at[40];             /**< ISO 8601 UTC, "" if none */
    double round_trip_ms;                 /**< the snapshot's query, as the client saw it */
    char taken_at[40];                    /**< ISO 8601 UTC, the client's clock */
    char message[256]; /**< one line: why the status is what it is (at most 255 bytes,
                            cut at a character) */
} um_health;

#define UM_HEALTH_VERSION 1
/** C only (designated initializer); C++ hosts call um_health_init(). */
#define UM_HEALTH_INIT                                                                             \
    {                                                                                              \
        .version = UM_HEALTH_VERSION                                                               \
    }

/** Zeroes @p h and sets its version.  @return UM_OK or UM_EINVAL. */
UM_API int um_health_init(um_health *h, unsigned int version);

/**
 * Takes a health snapshot: one query on the open handle, no file I/O (the
 * files were read at um_open()).  A database that cannot be reached is not
 * an error but status UM_HEALTH_UNREACHABLE with the reason in message; an
 * owned connection that dropped is re-established by the next call.
 * Checksums are compared when the history changed since the last snapshot
 * (one more query then), so "diverged" follows every run.
 * @return UM_OK (the snapshot is filled, whatever its status), UM_EINVAL,
 *         UM_EVERSION, UM_ENOMEM.
 */
UM_API int um_health_snapshot(um_ctx *ctx, um_health *out);

/** Static lowercase name of a status: "ok", "pending", "failed", "ahead",
 * "diverged", "unreachable", "cancelled"; "unknown" for any other value. */
UM_API const char *um_health_status_name(um_health_status status);

/**
 * JSON text of a snapshot in the host health aggregator's vocabulary
 * (docs/json.md): name "database_migrations", service_type "database",
 * critical false, status at the top level.  Free with um_free(); NULL on
 * out of memory.
 */
UM_API char *um_health_to_json(const um_health *health);

/* ------------------------------------------------------------------ */
/* JSON renderings (documented in docs/json.md)                         */
/* ------------------------------------------------------------------ */

/** JSON text of a status; free with um_free().  NULL on out of memory. */
UM_API char *um_status_to_json(const um_status_info *status);
/** JSON text of a history list; free with um_free(). */
UM_API char *um_history_to_json(const um_history_list *history);
/** JSON text of one revision; free with um_free(). */
UM_API char *um_revision_to_json(const um_revision *rev);

/* ------------------------------------------------------------------ */
/* New revision files                                                   */
/* ------------------------------------------------------------------ */

/** Options of um_generate(). */
typedef struct um_generate_options {
    unsigned int version;       /**< UM_GENERATE_OPTIONS_VERSION */
    const char *message;        /**< required */
    const char *rev_id;         /**< NULL: 12 random hex digits */
    const char *const *parents; /**< explicit parents (merge); NULL: see head */
    size_t n_parents;
    const char
        *head;  /**< NULL: the current head; "base": a new base; else build on this revision */
    int splice; /**< allow head to be a non-head revision */
    const char *const *depends_on;
    size_t n_depends_on;
} um_generate_options;

#define UM_GENERATE_OPTIONS_VERSION 1
#define UM_GENERATE_OPTIONS_INIT                                                                   \
    {                                                                                              \
        UM_GENERATE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, 0                         \
    }

/** Fills @p opts with defaults.  @return UM_OK or UM_EINVAL. */
UM_API int um_generate_options_init(um_generate_options *opts, unsigned int version);

/**
 * Writes a new revision file from the template (script.sql.tmpl beside
 * versions/), named by file_template.  Without parents and head, the new
 * revision revises every current head of the graph (several heads: pass
 * parents, or use um_merge()).  The handle's graph is not changed: open a
 * new handle to see the file.
 *
 * @param out_path  receives the new file's path (um_free()), may be NULL.
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_ETARGET, UM_EIO,
 *         UM_ECONFIG (a bad file_template, an unknown timezone), UM_EPARSE
 *         (a bad template).
 */
UM_API int um_generate(um_ctx *ctx, const um_generate_options *opts, char **out_path);

/**
 * Writes a merge revision whose parents are @p revs (NULL/0: every head).
 * @return as um_generate().
 */
UM_API int um_merge(um_ctx *ctx, const char *message, const char *const *revs, size_t n_revs,
                    char **out_path);

/**
 * Creates a project: @p script_location with versions/ and the default
 * script.sql.tmpl, and @p config_path (when not NULL) naming it.  Existing
 * files are kept, never overwritten; @p log_cb says what was created.
 * A NULL @p script_location means the one an existing @p config_path
 * names, else "migrations".
 * @param errmsg  on failure receives a message (um_free()); may be NULL.
 * @return UM_OK, UM_EINVAL, UM_EIO, UM_ECONFIG (an existing config file
 *         that does not load).
 */
UM_API int um_project_init(const char *config_path, const char *script_location, um_log_cb log_cb,
                           void *log_payload, char **errmsg);

#ifdef __cplusplus
}
#endif

#endif /* ULTRAMIGRATE_H */
