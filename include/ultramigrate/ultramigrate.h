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
 *    only appended.  Each function's @return lists the codes it gives; any
 *    call that allocates may also give UM_ENOMEM, and every call on a
 *    handle whose um_open() failed gives um_open()'s code and does nothing
 *    else.
 *  - After a failure on a handle, um_errmsg() and um_error_detail() say
 *    why.  Both point into the handle and stay valid until the next call on
 *    that handle.
 *  - Outputs come first and are named out; on failure *out is left NULL
 *    (um_open() excepted: see there).
 *  - Strings passed in are copied; the caller keeps ownership.  Memory the
 *    library hands out is freed with the matching *_free() function or with
 *    um_free().  Every *_free() function accepts NULL.
 *  - Options structs start with a version field; initialise them with the
 *    UM_*_OPTIONS_INIT macro or um_*_options_init().  A NULL options pointer
 *    means "all defaults".  Fields are only ever appended.  A struct of a
 *    version the library does not know is refused with UM_EVERSION.
 *  - Lists in results are read through a count and an accessor that
 *    returns NULL out of range (um_status_applied_at()), never as an array
 *    the host indexes, so that their elements can grow.
 *  - @since names the release that added a symbol.
 *  - The library never writes to stdout or stderr; it reports through the
 *    log callback given at um_open().
 *  - Names: public functions and types start with um_, macros with UM_;
 *    functions are um_<noun>_<verb>.  A type never shares a function's
 *    name: the result of a function named for a noun is <noun>_info
 *    (um_status() gives a um_status_info, um_error_detail() a
 *    um_error_info); a list is <noun>_list (um_history_list); the result
 *    of a function named for an action is <action>_result (um_lint() gives a
 *    um_lint_result, um_verify() a um_verify_result, um_autogenerate() a
 *    um_autogen_result); options are <function>_options (um_merge_options).
 *    An output parameter comes first and is named out, or <what>_out when
 *    it is not the function's result (um_project_init()'s errmsg_out).
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

/**
 * Marks the library's exported functions (hidden visibility otherwise).
 * @since 0.1
 */
#if defined(UM_BUILDING_LIBRARY) && defined(__GNUC__)
#define UM_API __attribute__((visibility("default")))
#else
#define UM_API
#endif

/**
 * Result codes.  Append only; never renumbered.
 * @since 0.1 (each code, unless it names a later release)
 */
typedef enum um_result {
    UM_OK = 0,
    UM_ERROR = -1,          /**< unexpected internal failure */
    UM_ENOMEM = -2,         /**< out of memory */
    UM_EINVAL = -3,         /**< invalid argument to an API call */
    UM_ECONNECT = -4,       /**< cannot connect to the database (lost: UM_ECONNLOST) */
    UM_ELOCKED = -5,        /**< another run holds the migration lock */
    UM_ECHECKSUM = -6,      /**< an applied revision's file has changed; a backup does not
                                 match its manifest's checksum, or has no manifest */
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
    UM_EAUTH = -18,
    /**
     * A backup or a restore failed: pg_dump, pg_restore or psql could not
     * be found, is older than the server, or failed (its message follows),
     * or the archive it wrote did not verify.  Before an upgrade, any
     * failure to back up is this code, and nothing was migrated.
     * @since 0.1
     */
    UM_EBACKUP = -19,
    /**
     * lint_on_upgrade = error and lint found an error in a revision an
     * upgrade was about to apply; the findings were logged, nothing ran.
     * @since 0.1
     */
    UM_ELINT = -20,
    /**
     * The connection, established, was lost during the call (the server
     * shut down or restarted, the backend was terminated, the network
     * failed).  What the call was doing when it was lost is in the
     * database as the server left it: a transaction in flight rolled
     * back.  UM_ECONNECT is for a connection that could not be made.
     * @since 0.1
     */
    UM_ECONNLOST = -21,
    /**
     * The bookkeeping tables cannot be created, read or written by this
     * role in version_table_schema (no CREATE or USAGE on the schema, a
     * system schema such as pg_catalog, a read-only transaction): the
     * message names the schema.  Or an object of the user's has a
     * bookkeeping table's name and not its shape (a view, a column
     * missing or of another type, no primary key): the message names it
     * and what is wrong, and nothing was created or changed.  No revision
     * ran.
     * @since 0.1
     */
    UM_EBOOKKEEPING = -22,
    /**
     * lock_mode = advisory, and the connection goes through a connection
     * pooler that hands each transaction to any server session (PgBouncer
     * in transaction mode): a session's advisory lock would not exclude
     * other runs.  Nothing was run.  Connect to the server directly, or set
     * lock_mode = table (docs/configuration.md).
     * @since 0.1
     */
    UM_EPOOLER = -23
} um_result;

/** Log levels passed to the log callback.  @since 0.1 */
typedef enum um_log_level {
    UM_LOG_ERROR = 0,
    UM_LOG_WARNING = 1,
    UM_LOG_INFO = 2,
    UM_LOG_DEBUG = 3
} um_log_level;

/** Direction of a plan or a step.  @since 0.1 */
typedef enum um_direction { UM_UP = 1, UM_DOWN = -1 } um_direction;

/**
 * The engine: configuration, revision graph and (lazily) one connection.
 * Opaque.
 * @since 0.1
 */
typedef struct um_ctx um_ctx;
/** An ordered list of steps computed by um_plan_create().  Opaque.  @since 0.1 */
typedef struct um_plan um_plan;

/**
 * Log callback.  @p msg is valid only during the call.  Called from the
 * thread that is using the handle.  As from every callback, the calls it
 * may make on the handle are um_revision_count(), um_revision_at() and
 * um_revision_lookup() (whose failure does not become the running call's);
 * any other call on it fails with UM_EINVAL, leaving the handle's error to
 * the running call, and um_close() is ignored.
 * @since 0.1
 */
typedef void (*um_log_cb)(um_log_level level, const char *msg, void *payload);

/** Where a step is when the progress callback is called.  @since 0.1 */
typedef enum um_step_phase { UM_STEP_START = 0, UM_STEP_DONE = 1 } um_step_phase;

/**
 * Payload of the progress callback; valid only during the call.  Reached
 * only by pointer: fields may be appended.
 * @since 0.1
 */
typedef struct um_step_info {
    um_direction direction;
    um_step_phase phase;
    const char *revision; /**< revision id */
    const char *message;  /**< the revision's message */
    size_t index;         /**< 0-based index of the step in the plan */
    size_t total;         /**< number of steps in the plan */
    double elapsed_ms;    /**< time spent on this step (0 at UM_STEP_START) */
    /**
     * At UM_STEP_DONE: non-zero when the step is committed.  0 inside the
     * single transaction of transaction_per_migration = false, where a
     * later failure rolls every step back.  @since 0.1
     */
    int committed;
} um_step_info;

/**
 * Progress callback.  Called before and after every step.  Returning
 * non-zero cancels the run before the next step; the run then fails with
 * UM_ECANCELLED and the steps already done stay done (with
 * transaction_per_migration = false, the whole run rolls back).  The
 * callback may call um_revision_count(), um_revision_at() and
 * um_revision_lookup() on the running handle, and nothing else on it
 * (other calls fail with UM_EINVAL, as from the log callback).
 * @since 0.1
 */
typedef int (*um_progress_cb)(const um_step_info *step, void *payload);

/* ------------------------------------------------------------------ */
/* Version and errors                                                   */
/* ------------------------------------------------------------------ */

/** The library's version string, "MAJOR.MINOR.PATCH".  Static.  @since 0.1 */
UM_API const char *um_version(void);

/**
 * The library's version as a number, encoded as UM_VERSION_NUMBER
 * (0xMMmmpp), to compare the library a host runs with against the headers
 * it was built with.
 * @since 0.1
 */
UM_API unsigned int um_version_number(void);

/**
 * The version of the libpq the library runs with, as PQlibVersion()
 * encodes it (160004 for 16.4; 90624 for 9.6.24), for a host's --version:
 * libpq is a private dependency, which a host need not link itself.
 * @return the number; never fails.
 * @since 0.1
 */
UM_API int um_libpq_version(void);

/**
 * Static English text for a UM_* code; never NULL ("unknown error" for a
 * code this library does not know).
 * @since 0.1
 */
UM_API const char *um_strerror(int code);

/**
 * Structured detail of the last error on a handle, as um_error_detail()
 * returns it.  Fields that do not apply are NULL (strings) or 0 (line).
 * Owned by the handle; reached only by pointer, so fields may be appended.
 * @since 0.1
 */
typedef struct um_error_info {
    int code;             /**< the UM_E* code, 0 when no error */
    const char *message;  /**< the full message, as um_errmsg() */
    const char *revision; /**< revision id the error concerns */
    const char *file;     /**< file the error concerns */
    int line;             /**< 1-based line in that file, 0 if unknown */
    const char *sqlstate; /**< SQLSTATE from the server */
    const char *detail;   /**< server's DETAIL */
    const char *hint;     /**< server's HINT */
} um_error_info;

/**
 * Message of the last error on @p ctx, or "" when the last call succeeded.
 * Owned by @p ctx; valid until the next call on it.  On a handle whose
 * um_open() failed, every call leaves um_open()'s message in place.
 * NULL ctx: "NULL handle" (um_open() leaves *out NULL only when it could
 * not allocate the handle: its code, UM_ENOMEM, says so).
 * @since 0.1
 */
UM_API const char *um_errmsg(const um_ctx *ctx);

/**
 * Detail of the last error on @p ctx (code 0 after a success); NULL only
 * for a NULL ctx.  Owned by @p ctx; valid until the next call on it.
 * @since 0.1
 */
UM_API const um_error_info *um_error_detail(const um_ctx *ctx);

/**
 * Frees memory the library handed out without a free function of its own:
 * the text of the *_to_json renderers, the path from um_generate() and
 * um_merge(), the message from um_project_init().  NULL: no-op.
 * @since 0.1
 */
UM_API void um_free(void *ptr);

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

/** Options of um_open().  @since 0.1 */
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
     * UM_CONNECT_EARLY (or any non-zero value): start connecting while the
     * revision files are read (for a caller that will need the database at
     * once, as a command-line tool does); a failure surfaces at the first
     * call that needs the database.  UM_CONNECT_EARLY_STATE: that, and
     * send the query of the migration state as soon as the connection is
     * up, for a caller whose next call reads it (um_status()): the server
     * answers while the files are still read.  UM_CONNECT_EARLY_SUMMARY:
     * likewise, for a next call of um_status_v2() with summary set.
     * Another call first reads that answer and drops it.  0 (default):
     * connect at that first call.
     */
    int connect_early;
    /**
     * The section of config_path to read, as Alembic's -n: its keys (and
     * [DEFAULT]'s) instead of [ultramigrate] and [alembic], so that one
     * file can describe several databases.  NULL (default): [ultramigrate]
     * over [alembic].  A file without the section (or with none of its
     * keys) fails um_open() with UM_ECONFIG.
     */
    const char *config_section;
} um_open_options;

/** um_open_options.connect_early: connect while the files are read.  @since 0.1 */
#define UM_CONNECT_EARLY 1
/** um_open_options.connect_early: connect and ask for the migration state
 * while the files are read.  @since 0.1 */
#define UM_CONNECT_EARLY_STATE 2
/** um_open_options.connect_early: connect and ask for the summary of the
 * migration state (um_status_options.summary) while the files are read.
 * @since 0.1 */
#define UM_CONNECT_EARLY_SUMMARY 3

/** The version of um_open_options this header describes.  @since 0.1 */
#define UM_OPEN_OPTIONS_VERSION 1
/** The defaults of um_open_options, for an initializer.  @since 0.1 */
#define UM_OPEN_OPTIONS_INIT                                                                       \
    {                                                                                              \
        UM_OPEN_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, UM_LOG_INFO, NULL, NULL, 0, NULL    \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_OPEN_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
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
 * @param opts  NULL: all defaults (configuration from the environment).
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_ECONFIG, UM_EIO,
 *         UM_EPARSE or UM_EGRAPH.
 * @since 0.1
 */
UM_API int um_open(um_ctx **out, const um_open_options *opts);

/**
 * Closes the connection (unless borrowed) and frees the handle.  NULL, or
 * a call from a callback of a call running on the handle: no-op.
 * @since 0.1
 */
UM_API void um_close(um_ctx *ctx);

/**
 * Waits until the database accepts connections (start-up ordering in a
 * container: the server may still be starting), retrying with backoff for
 * up to @p timeout_ms milliseconds.  Connection refused, no such host yet
 * and "the database system is starting up" are retried; a refusal by the
 * server (UM_EAUTH: a wrong password, a missing database) and a malformed
 * URL are not.
 * @return UM_OK once connected, UM_EINVAL, UM_ECONNECT at the deadline or
 *         on a bad URL, UM_EAUTH at once, UM_ECANCELLED after um_cancel().
 * @since 0.1
 */
UM_API int um_wait_for_database(um_ctx *ctx, int timeout_ms);

/**
 * The version of the server @p ctx is connected to, as the server reports
 * it ("16.4 (Debian 16.4-1.pgdg120+1)"; "" when it did not say).  Connects
 * first when the handle has no connection, with one attempt (see
 * um_wait_for_database() to wait for a server still starting);
 * um_cancel() stops that attempt.
 * @param out  set to a string owned by the handle, valid until the next
 *             call on it; NULL on failure
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ECANCELLED, or the
 *         code um_open() failed with.
 * @since 0.1
 */
UM_API int um_server_version(const char **out, um_ctx *ctx);

/**
 * Asks a running call on @p ctx to stop: the run stops before its next
 * revision, and the statement running now is cancelled on the server
 * (PQcancel), so the revision it belongs to rolls back.  The call then
 * fails with UM_ECANCELLED, and the history records the revision as
 * "cancelled" (the health snapshot then says UM_HEALTH_CANCELLED, not
 * UM_HEALTH_FAILED), unless a "Transactional: no" revision was part-way:
 * that is recorded as failed.  A cancel that comes before the first
 * revision starts (while the lock is awaited, the state read, the SQL
 * scanned) records nothing: nothing started, and health says what it said
 * before.  um_wait_for_database() returns UM_ECANCELLED at once, in a
 * backoff sleep or a connection attempt.  Unlike every other function, this one may be
 * called from another thread or from a signal handler while the handle is
 * in use.  The request holds until the next call on the handle starts.
 * NULL: no-op.
 * @since 0.1
 */
UM_API void um_cancel(um_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Revision files                                                       */
/* ------------------------------------------------------------------ */

/**
 * One revision file.  Owned by the handle; read-only.  Reached only by
 * pointer: fields may be appended.
 * @since 0.1
 */
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
    /**
     * Branch Labels: the names this revision gives its branch, as the
     * file declares them.  The labels it carries, inherited ones
     * included, come from um_revision_branch_labels().
     */
    const char *const *branch_labels;
    size_t n_branch_labels;
    /**
     * Another revision's Depends On names this one: a head (is_head) that
     * is depended on is what Alembic calls an "effective head".
     */
    int has_dependents;
} um_revision;

/**
 * The directory the revision files were read from (script_location's
 * versions/), as the configuration names it; NULL for a NULL handle.
 * Owned by the handle.
 * @since 0.1
 */
UM_API const char *um_versions_dir(const um_ctx *ctx);

/** Number of revision files (0 for a NULL or failed handle).  @since 0.1 */
UM_API size_t um_revision_count(const um_ctx *ctx);

/**
 * The @p i-th revision in topological order (bases first, each revision
 * after its parents and dependencies); NULL when out of range.
 * @since 0.1
 */
UM_API const um_revision *um_revision_at(const um_ctx *ctx, size_t i);

/**
 * Resolves @p rev to one revision: a full id, a unique prefix, a branch
 * label, "head" (the only head), REV+N / REV-N, or a target scoped to a
 * branch such as "audit@head" (docs/cli.md, "Targets").
 * @param out  receives the revision, owned by the handle.
 * @return UM_OK, UM_EINVAL or UM_ETARGET (unknown, ambiguous prefix listing
 *         the candidates, several heads for "head").
 * @since 0.1
 */
UM_API int um_revision_lookup(const um_revision **out, um_ctx *ctx, const char *rev);

/**
 * The branch labels revision @p rev carries, as Alembic shows them beside
 * it ("c1 (audit) (head)"): those it declares, and those it inherits: a
 * label is carried by the declaring revision's descendants, and, when
 * they form one line, by its ancestors down to the first branch point or
 * merge (docs/revision-files.md).  Sorted by name.
 *
 * The first call on a handle works out every revision's labels at once,
 * in time proportional to the revisions times the labels (nothing at all
 * for a project without labels); later calls only read.
 *
 * @param out  receives an array of *@p n labels, owned by the handle and
 *             valid until um_close(); NULL when there are none.
 * @param n    receives the number of labels.
 * @param rev  a revision of this handle (um_revision_at(),
 *             um_revision_lookup(), um_status_pending_at()).
 * @return UM_OK, UM_EINVAL (a NULL argument, a revision of another
 *         handle), UM_ENOMEM.
 * @since 0.1
 */
UM_API int um_revision_branch_labels(const char *const **out, size_t *n, um_ctx *ctx,
                                     const um_revision *rev);

/**
 * A list of revisions (um_revision_range(), um_revision_resolve()).
 * Opaque: read it through
 * um_revision_list_count() and um_revision_list_at().  It points into the
 * handle and must not outlive it.
 * @since 0.1
 */
typedef struct um_revision_list um_revision_list;

/**
 * The revisions from @p lower to @p upper, as Alembic's
 * "history -r LOWER:UPPER" selects them: the revisions @p upper needs
 * (parents and dependencies, transitively) that @p lower does not, and
 * @p lower itself, kept to @p lower's descendants by Revises:.
 *
 * @param out    receives the list, in apply order (bases first); free
 *               with um_revision_list_free().
 * @param lower  NULL, "" or "base": from the empty state; a revision or
 *               a target as for an upgrade ("audit@head", "REV-1"); "-N"
 *               or "LABEL@-N": N revisions below every head (carrying
 *               LABEL) that no revision depends on; "current": the
 *               database's heads.  "LABEL@..." also keeps @p upper to the
 *               heads carrying LABEL.
 * @param upper  NULL or "": "heads"; an upgrade target, "+N" counting up
 *               from @p lower; "current".
 * Only "current" reads the database.
 * @return UM_OK, UM_EINVAL, UM_ENOMEM, UM_ETARGET (a target that does not
 *         resolve, @p lower not below @p upper), and for "current"
 *         UM_ECONNECT, UM_EAUTH, UM_ESQL, UM_ESTATE.
 * @since 0.1
 */
UM_API int um_revision_range(um_revision_list **out, um_ctx *ctx, const char *lower,
                             const char *upper);

/**
 * The revisions @p target names, read as an upgrade target: "heads" every
 * head, "audit@heads" the heads of a branch, "base" none; a revision, a
 * prefix, a branch label, "head", "REV+N", "audit@head"... one; "current"
 * the database's heads, the only form that reads the database.
 * @param out  receives the list, in apply order; free with
 *             um_revision_list_free().
 * @return UM_OK, UM_EINVAL, UM_ENOMEM, UM_ETARGET, and for "current"
 *         UM_ECONNECT, UM_EAUTH, UM_ESQL, UM_ESTATE.
 * @since 0.1
 */
UM_API int um_revision_resolve(um_revision_list **out, um_ctx *ctx, const char *target);

/** Number of revisions in @p list (0 for NULL).  @since 0.1 */
UM_API size_t um_revision_list_count(const um_revision_list *list);

/** The @p i-th revision of @p list, owned by the handle; NULL out of range.  @since 0.1 */
UM_API const um_revision *um_revision_list_at(const um_revision_list *list, size_t i);

/** Frees a list.  NULL: no-op.  @since 0.1 */
UM_API void um_revision_list_free(um_revision_list *list);

/* ------------------------------------------------------------------ */
/* Plans                                                                */
/* ------------------------------------------------------------------ */

/**
 * One step of a plan.  Owned by the plan.  Reached only by pointer: fields
 * may be appended.
 * @since 0.1
 */
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
 *         UM_ECONNECT, UM_EAUTH, UM_ESQL, UM_ESTATE (a version row or an
 *         applied revision no file defines, which the plan would run past or
 *         leave; a "Transactional: no" revision a run left failed or in
 *         progress, which blocks every plan until um_repair()), UM_ECHECKSUM
 *         (an applied revision's file changed).
 * @since 0.1
 */
UM_API int um_plan_create(um_plan **out, um_ctx *ctx, um_direction direction, const char *target);

/** Number of steps (0: nothing to do, or a NULL plan).  @since 0.1 */
UM_API size_t um_plan_step_count(const um_plan *plan);

/** The @p i-th step, or NULL when out of range.  @since 0.1 */
UM_API const um_step *um_plan_step(const um_plan *plan, size_t i);

/** Frees a plan.  NULL: no-op.  @since 0.1 */
UM_API void um_plan_free(um_plan *plan);

/**
 * Whether an upgrade backs the database up first (um_apply_options.backup).
 * @since 0.1
 */
typedef enum um_backup_mode {
    UM_BACKUP_AS_CONFIGURED = 0, /**< as backup_before_upgrade says (the default) */
    UM_BACKUP_SKIP = 1,          /**< never (the command line's --no-backup) */
    UM_BACKUP_ALWAYS = 2         /**< always, whatever the configuration says */
} um_backup_mode;

/** One backup; defined in "Backups" below.  @since 0.1 */
typedef struct um_backup_info um_backup_info;

/** What a dry run did; defined in "Dry runs" below.  @since 0.1 */
typedef struct um_dry_run_info um_dry_run_info;

/** Options of um_apply(), um_upgrade() and um_rollback().  @since 0.1 */
typedef struct um_apply_options {
    unsigned int version;       /**< UM_APPLY_OPTIONS_VERSION */
    um_progress_cb progress_cb; /**< NULL: none */
    void *progress_payload;
    /**
     * Whether an upgrade that has revisions to apply first takes a backup
     * (as um_backup() does, in the configured backup_format, into
     * backup_dir), under the migration lock, after planning and before the
     * first revision.  A downgrade, and a run with nothing to do, never
     * backs up.  When the backup fails the call fails with UM_EBACKUP (or
     * UM_ECANCELLED) and no revision has run.
     */
    um_backup_mode backup;
    /**
     * Receives the backup taken before the run (free with
     * um_backup_info_free()), or NULL when none was taken; NULL: not wanted.
     */
    um_backup_info **backup_out;
    /**
     * Non-zero: a dry run (version 2).  Under the migration lock, every
     * transactional revision of the plan runs for real inside one
     * transaction that is rolled back at the end, so nothing changes and
     * nothing is recorded (no history row; the bookkeeping tables are not
     * even created).  "Transactional: no" revisions, revisions whose SQL
     * holds its own transaction control (BEGIN, COMMIT...), and every
     * revision after a failure are not tried.  No backup is taken and
     * progress_cb is not called.  The locks the revisions take are held
     * until the rollback.  See um_dry_run_info for what each revision did.
     */
    int dry_run;
    /**
     * With dry_run: receives what the dry run did (free with
     * um_dry_run_info_free()), also when a revision failed in it (the call
     * then gives UM_ESQL with that revision's error); NULL when the run
     * could not start.  NULL: not wanted.  (Version 2.)
     */
    um_dry_run_info **dry_run_out;
} um_apply_options;

/**
 * The version of um_apply_options this header describes: 2 added dry_run
 * and dry_run_out.  A host built with version 1 keeps working: its
 * shorter struct is read as version 1, without a dry run.
 * @since 0.1
 */
#define UM_APPLY_OPTIONS_VERSION 2
/** The defaults of um_apply_options, for an initializer.  @since 0.1 */
#define UM_APPLY_OPTIONS_INIT                                                                      \
    {                                                                                              \
        UM_APPLY_OPTIONS_VERSION, NULL, NULL, UM_BACKUP_AS_CONFIGURED, NULL, 0, NULL               \
    }

/**
 * Fills @p opts with the defaults of @p version (1 or
 * UM_APPLY_OPTIONS_VERSION); only the fields of that version are written.
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
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
 * @param plan  a plan made on this handle.
 * @param opts  NULL: no progress callback.
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL,
 *         UM_ECHECKSUM, UM_ESTATE (as um_plan_create(); nothing ran),
 *         UM_ECANCELLED, UM_ESTALE, UM_EIO, UM_EBACKUP (the
 *         backup before an upgrade failed; nothing was migrated), UM_ELINT
 *         (lint_on_upgrade = error and lint found an error in what an
 *         upgrade would apply; nothing was migrated), UM_EPARSE (a section
 *         the plan runs holds DISCARD or DEALLOCATE, an unterminated
 *         comment, string or quoted identifier, or, in a transactional
 *         revision, transaction control or a statement refused inside a
 *         transaction block: file and line named, nothing ran).  With dry_run: UM_ESQL
 *         when a revision failed in the dry run (nothing was changed).
 * @since 0.1
 */
UM_API int um_apply(um_ctx *ctx, const um_plan *plan, const um_apply_options *opts);

/**
 * Plans and applies an upgrade to @p target (NULL: "heads") in one call,
 * planning under the lock so that concurrent callers apply each revision
 * exactly once.
 * @return UM_OK, or a code of um_plan_create() or um_apply().
 * @since 0.1
 */
UM_API int um_upgrade(um_ctx *ctx, const char *target, const um_apply_options *opts);

/**
 * As um_upgrade(), downwards: the downgrade to @p target (required).
 * @return as um_upgrade(); UM_EINVAL without a target.
 * @since 0.1
 */
UM_API int um_rollback(um_ctx *ctx, const char *target, const um_apply_options *opts);

/**
 * Sets the database's state to @p target ("base", "heads", revisions...)
 * without running any revision SQL, as Alembic's stamp: the revisions
 * @p target names replace the current heads that share a line of descent
 * with them (going up or down, dependencies included), the heads of other
 * branches stay, "base" removes every head; the applied table then holds
 * the new heads' ancestors.  A relative step ("-1", "+1", "REV+N",
 * "LABEL@-N") is refused with UM_ETARGET before anything is sent, as
 * Alembic's stamp cannot locate one.  It runs under the migration lock, as
 * um_apply() does.  um_stamp(ctx, t) is um_stamp_v2() with the one
 * revision t.
 * @return UM_OK, UM_EINVAL, UM_ETARGET, UM_ESTATE (a version row that no
 *         file defines: see um_stamp_options' purge), UM_ECONNECT,
 *         UM_ELOCKED, UM_ESQL.
 * @since 0.1
 */
UM_API int um_stamp(um_ctx *ctx, const char *target);

/** Options of um_stamp_v2().  @since 0.1 */
typedef struct um_stamp_options {
    unsigned int version;         /**< UM_STAMP_OPTIONS_VERSION */
    const char *const *revisions; /**< targets as um_stamp() takes them: several heads */
    size_t n_revisions;           /**< at least 1 */
    /**
     * Non-zero: forget the version table's rows first (Alembic's --purge),
     * so that the revisions become the whole state; rows that no revision
     * file defines (a database another project left) are no error then.
     */
    int purge;
} um_stamp_options;

/** The version of um_stamp_options this header describes.  @since 0.1 */
#define UM_STAMP_OPTIONS_VERSION 1
/** The defaults of um_stamp_options, for an initializer.  @since 0.1 */
#define UM_STAMP_OPTIONS_INIT                                                                      \
    {                                                                                              \
        UM_STAMP_OPTIONS_VERSION, NULL, 0, 0                                                       \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_STAMP_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_stamp_options_init(um_stamp_options *opts, unsigned int version);

/**
 * um_stamp() for several revisions at once (a database at the heads of
 * several branches), and with purge.  The stamp is one step: one history
 * row per new head.
 * @return as um_stamp(); UM_EINVAL without revisions, UM_EVERSION.
 * @since 0.1
 */
UM_API int um_stamp_v2(um_ctx *ctx, const um_stamp_options *opts);

/**
 * Creates the bookkeeping tables when they are missing (under the lock).
 * Other calls do this on first use too.
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL.
 * @since 0.1
 */
UM_API int um_ensure_schema(um_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Repair                                                               */
/* ------------------------------------------------------------------ */

/** What um_repair() records.  @since 0.1 */
typedef enum um_repair_action {
    /**
     * The revision a run left "failed" or "in_progress" is done (the
     * operator finished its statements by hand, or checked that they all
     * ran): it is recorded applied, with its file's checksum, as if its
     * run had succeeded.
     */
    UM_REPAIR_APPLIED = 1,
    /**
     * The revision a run left "failed" or "in_progress" is undone (the
     * operator reverted what ran of it): it is recorded as not applied,
     * as if its run had never started (or, for a downgrade, had finished).
     */
    UM_REPAIR_ROLLED_BACK = 2,
    /**
     * Every applied revision whose file's up section changed (an
     * intentional edit) gets the file's checksum stored.
     */
    UM_REPAIR_CHECKSUMS = 3
} um_repair_action;

/** Options of um_repair().  @since 0.1 */
typedef struct um_repair_options {
    unsigned int version;    /**< UM_REPAIR_OPTIONS_VERSION */
    um_repair_action action; /**< required */
    /** UM_REPAIR_APPLIED, UM_REPAIR_ROLLED_BACK: the revision (a full id
        or a unique prefix); NULL for UM_REPAIR_CHECKSUMS */
    const char *revision;
} um_repair_options;

/** The version of um_repair_options this header describes.  @since 0.1 */
#define UM_REPAIR_OPTIONS_VERSION 1
/** The defaults of um_repair_options, for an initializer.  @since 0.1 */
#define UM_REPAIR_OPTIONS_INIT                                                                     \
    {                                                                                              \
        UM_REPAIR_OPTIONS_VERSION, (um_repair_action)0, NULL                                       \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_REPAIR_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_repair_options_init(um_repair_options *opts, unsigned int version);

/**
 * One revision a repair changed.  Reached only through um_repair_at();
 * fields may be appended.  Owned by the list.
 * @since 0.1
 */
typedef struct um_repair_entry {
    const char *revision;
    const char *path;         /**< its file, or NULL when no file defines it */
    const char *before;       /**< its state before: "failed", "in_progress", "applied" */
    const char *after;        /**< "applied" or "rolled_back" */
    const char *old_checksum; /**< the checksum stored before, or NULL */
    const char *new_checksum; /**< the checksum stored now, or NULL (no row left) */
    int statements_done;      /**< statements its unfinished run had done (0 for checksums) */
} um_repair_entry;

/**
 * What um_repair() changed.  Opaque: read it through the accessors (each
 * takes NULL as an empty list).
 * @since 0.1
 */
typedef struct um_repair_list um_repair_list;

/** Number of revisions changed.  @since 0.1 */
UM_API size_t um_repair_count(const um_repair_list *list);
/** The @p i-th revision changed; NULL when out of range.  @since 0.1 */
UM_API const um_repair_entry *um_repair_at(const um_repair_list *list, size_t i);
/** Frees a repair list.  NULL: no-op.  @since 0.1 */
UM_API void um_repair_free(um_repair_list *list);

/**
 * Records an operator's decision about what a run left half done, under
 * the migration lock; no revision SQL runs.  A "Transactional: no"
 * revision stopped part-way stays "failed" or "in_progress" and blocks
 * every upgrade and downgrade (UM_ESTATE) until UM_REPAIR_APPLIED or
 * UM_REPAIR_ROLLED_BACK says which it is; UM_REPAIR_CHECKSUMS accepts
 * edits of applied revisions' files (UM_ECHECKSUM otherwise).  Every
 * revision changed gets a history entry with direction "repair" (its
 * error field says what was decided); the version rows follow (an applied
 * revision replaces its parents).  Tables made by an earlier version are
 * upgraded first.
 * @param out  receives the revisions changed (UM_REPAIR_CHECKSUMS: none
 *             when no file changed); free with um_repair_free().
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ETARGET (no such revision, or
 *         it is not failed or in progress), UM_ESTATE (a version row no
 *         file defines; an applied revision depends on the one to roll
 *         back; UM_REPAIR_APPLIED of a revision no file defines),
 *         UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL.
 * @since 0.1
 */
UM_API int um_repair(um_repair_list **out, um_ctx *ctx, const um_repair_options *opts);

/**
 * JSON text of a repair list (docs/json.md); free with um_free().  NULL on
 * failure.
 * @since 0.1
 */
UM_API char *um_repair_to_json(const um_repair_list *list);

/* ------------------------------------------------------------------ */
/* Offline SQL                                                          */
/* ------------------------------------------------------------------ */

/**
 * Plans from a stated starting point instead of the database's state,
 * without connecting (Alembic's "upgrade A:B --sql"): the database is
 * taken to be at the heads @p from (@p n_from of them; 0: an empty
 * database, "base").  Otherwise as um_plan_create().  Such a plan is for
 * um_plan_render_sql(); um_apply() plans again under the lock from the
 * real state.
 * @param out     receives the plan (free with um_plan_free()); NULL on failure.
 * @param from    revision ids or unique prefixes (not targets such as
 *                "head"), the current heads of the database the script is for.
 * @return UM_OK, UM_EINVAL, UM_ETARGET (a @p from revision unknown, or
 *         the target), UM_EIRREVERSIBLE.
 * @since 0.1
 */
UM_API int um_plan_create_from(um_plan **out, um_ctx *ctx, um_direction direction,
                               const char *target, const char *const *from, size_t n_from);

/** Options of um_plan_render_sql().  @since 0.1 */
typedef struct um_plan_render_sql_options {
    unsigned int version; /**< UM_PLAN_RENDER_SQL_OPTIONS_VERSION */
    /**
     * Non-zero (the default): comment lines say what the script is for and
     * name each revision before its SQL.  0: the statements alone.
     */
    int comments;
} um_plan_render_sql_options;

/** The version of um_plan_render_sql_options this header describes.  @since 0.1 */
#define UM_PLAN_RENDER_SQL_OPTIONS_VERSION 1
/** The defaults of um_plan_render_sql_options, for an initializer.  @since 0.1 */
#define UM_PLAN_RENDER_SQL_OPTIONS_INIT                                                            \
    {                                                                                              \
        UM_PLAN_RENDER_SQL_OPTIONS_VERSION, 1                                                      \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_PLAN_RENDER_SQL_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_plan_render_sql_options_init(um_plan_render_sql_options *opts, unsigned int version);

/**
 * The SQL script that carries out @p plan, for psql
 * (psql -v ON_ERROR_STOP=1 -f FILE), in the order a run sends it: the
 * client encoding; the bookkeeping tables, created when the plan found
 * them missing (always, IF NOT EXISTS, for a plan of
 * um_plan_create_from()); the statements that record steps, prepared; then
 * per revision its transaction (BEGIN; the configured lock_timeout and
 * statement_timeout, local to it; its SQL; the record of the step;
 * COMMIT), or with transaction_per_migration = false one transaction
 * around them all; a "Transactional: no" revision runs statement by
 * statement outside a transaction, between its "in progress" record and
 * its step record, each statement followed by the record of how many
 * succeeded (a script stopped there leaves the revision blocked until
 * um_repair(), as a run does), with the timeouts set for the session and
 * reset after.
 * The bookkeeping statements are the run's own, with their values as
 * literals.  Nothing is sent to the database, nothing changes, no lock
 * is taken.  Durations recorded by the script measure its bookkeeping
 * statement only.
 * @param out   receives the script, NUL-terminated (free with um_free());
 *              NULL on failure.
 * @param plan  a plan of this handle (um_plan_create() or um_plan_create_from()).
 * @param opts  NULL: the defaults.
 * @return UM_OK, UM_EINVAL (a "Transactional: no" revision with
 *         transaction_per_migration = false, as um_apply() refuses it; a
 *         plan of a database another tool managed, which a run adopts
 *         first: stamp it, or render with um_plan_create_from()),
 *         UM_EVERSION, UM_EIO, UM_ECHECKSUM (a file changed since the
 *         handle read it), UM_EIRREVERSIBLE, UM_EPARSE (what um_apply()
 *         refuses before anything runs, with file and line: a revision's
 *         SQL that does not lex to its end, as an unterminated string or
 *         comment would swallow the rest of the script; DISCARD or
 *         DEALLOCATE; transaction control or a statement refused inside a
 *         transaction block in a transactional revision), UM_ECANCELLED
 *         (um_cancel()).
 * @since 0.1
 */
UM_API int um_plan_render_sql(char **out, um_ctx *ctx, const um_plan *plan,
                              const um_plan_render_sql_options *opts);

/* ------------------------------------------------------------------ */
/* Dry runs                                                             */
/* ------------------------------------------------------------------ */

/** How one revision of a dry run went.  @since 0.1 */
typedef enum um_dry_run_result {
    UM_DRY_RUN_OK = 0,       /**< its SQL ran without error (and was rolled back) */
    UM_DRY_RUN_FAILED = 1,   /**< its SQL failed: see error, line, sqlstate */
    UM_DRY_RUN_NOT_TRIED = 2 /**< not run: see reason */
} um_dry_run_result;

/**
 * One revision of a dry run, in plan order.  Reached only through
 * um_dry_run_step_at(); fields may be appended.  Owned by the result.
 * @since 0.1
 */
typedef struct um_dry_run_step {
    um_direction direction;
    const char *revision;
    const char *message;
    const char *path; /**< the revision file */
    um_dry_run_result result;
    double duration_ms; /**< of its SQL; 0 when not tried */
    /**
     * The relations it took an AccessExclusiveLock on, schema-qualified
     * ("public.accounts"), sorted, as pg_locks showed them for the run's
     * backend after it (including relations it created); none when it
     * failed.
     */
    const char *const *locks;
    size_t n_locks;
    const char *error;    /**< failed: the server's message; else NULL */
    int line;             /**< failed: the line of the file, 0 if unknown */
    const char *sqlstate; /**< failed: the SQLSTATE, or NULL */
    const char *reason;   /**< not tried: why, one line; else NULL */
} um_dry_run_step;

/** Number of revisions of the dry run (0 for NULL).  @since 0.1 */
UM_API size_t um_dry_run_step_count(const um_dry_run_info *info);

/** The @p i-th revision, in plan order; NULL when out of range.  @since 0.1 */
UM_API const um_dry_run_step *um_dry_run_step_at(const um_dry_run_info *info, size_t i);

/** Number of revisions that failed (0 or 1: a dry run stops there).  @since 0.1 */
UM_API size_t um_dry_run_failed_count(const um_dry_run_info *info);

/**
 * JSON text of a dry run (docs/json.md, "Dry run").
 * @return the text, freed with um_free(); NULL for NULL or on failure.
 * @since 0.1
 */
UM_API char *um_dry_run_info_to_json(const um_dry_run_info *info);

/**
 * Frees a dry run's result.  It must not outlive its handle (its
 * revisions point into the handle's graph).  NULL: no-op.
 * @since 0.1
 */
UM_API void um_dry_run_info_free(um_dry_run_info *info);

/* ------------------------------------------------------------------ */
/* Status and history                                                   */
/* ------------------------------------------------------------------ */

/**
 * One applied revision as the database records it.  Reached only through
 * um_status_applied_at(); fields may be appended.  Owned by the status.
 * @since 0.1
 */
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
    /**
     * Statements of a "Transactional: no" revision that succeeded in the
     * run that left it "in_progress" or "failed" (at least that many: a
     * statement that succeeded as the run was killed is not counted); 0
     * otherwise.  @since 0.1
     */
    int statements_done;
} um_applied;

/**
 * Status of the database against the revision files.  Opaque: read it
 * through the accessors below (each takes NULL as an empty status), so
 * that it may grow.
 * @since 0.1
 */
typedef struct um_status_info um_status_info;

/** Number of version table rows (the database's current heads).  @since 0.1 */
UM_API size_t um_status_current_head_count(const um_status_info *st);
/** The @p i-th current head's revision id, or NULL when out of range.  @since 0.1 */
UM_API const char *um_status_current_head_at(const um_status_info *st, size_t i);

/** Number of heads of the revision graph.  @since 0.1 */
UM_API size_t um_status_file_head_count(const um_status_info *st);
/** The @p i-th head of the revision graph, or NULL when out of range.  @since 0.1 */
UM_API const char *um_status_file_head_at(const um_status_info *st, size_t i);

/**
 * Number of rows of the applied table, whatever their state (read each
 * one's state; um_status_count() counts revisions by state).
 * @since 0.1
 */
UM_API size_t um_status_applied_count(const um_status_info *st);
/** The @p i-th row of the applied table, oldest first; NULL when out of range.  @since 0.1 */
UM_API const um_applied *um_status_applied_at(const um_status_info *st, size_t i);

/**
 * Number of pending revisions: in the files, not applied, neither failed
 * nor in progress.  A version row no file defines (a database ahead of
 * the files) does not hide the others.
 * @since 0.1
 */
UM_API size_t um_status_pending_count(const um_status_info *st);
/**
 * The @p i-th pending revision, in the order an upgrade to heads would
 * apply them; NULL when out of range.  Owned by the handle.
 * @since 0.1
 */
UM_API const um_revision *um_status_pending_at(const um_status_info *st, size_t i);

/**
 * What um_status_count() counts.  Applied, pending, failed and in progress
 * count each revision of the files once, so they add up to
 * um_revision_count() (failed and in progress also count revisions no
 * file defines); health counts the same way.
 * @since 0.1
 */
typedef enum um_status_kind {
    /** revisions in state "applied" (recorded as such, or below a current head) */
    UM_STATUS_APPLIED = 0,
    /** revisions of the files not applied, neither failed nor in progress:
        um_status_pending_count() */
    UM_STATUS_PENDING = 1,
    /** "Transactional: no" revisions a run stopped part-way ("failed") */
    UM_STATUS_FAILED = 2,
    /** "Transactional: no" revisions a run left "in_progress" (killed, or still running) */
    UM_STATUS_IN_PROGRESS = 3,
    /** revisions the database records as applied that no file defines */
    UM_STATUS_MISSING = 4
} um_status_kind;

/**
 * Number of revisions of @p kind; 0 for a NULL status or an unknown kind.
 * @since 0.1
 */
UM_API size_t um_status_count(const um_status_info *st, um_status_kind kind);

/**
 * The revision at which the last run failed, when the newest entry of the
 * history is a failure; NULL otherwise (and for a NULL status).  A
 * transactional revision that fails rolls back and leaves no applied row
 * (UM_STATUS_FAILED does not count it): this is how the database shows
 * the failed run, and what um_health_snapshot() reports as
 * UM_HEALTH_FAILED until a run succeeds.  Valid as long as @p st.
 * @since 0.1
 */
UM_API const char *um_status_last_failed(const um_status_info *st);

/**
 * 1 when every revision left unfinished is in progress and the run that
 * marked them still holds the migration lock: a `Transactional: no`
 * revision being applied now, which um_health_snapshot() reports as
 * UM_HEALTH_MIGRATING; 0 otherwise (no revision in progress, one failed,
 * a killed run, the lock could not be looked at, a NULL status).  The
 * lock is looked at only when a revision is in progress.
 * @since 0.1
 */
UM_API int um_status_run_in_progress(const um_status_info *st);

/**
 * Reads the database's state (one query) and compares it with the files.
 * @param out  receives the status; free with um_status_free().
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ESQL.
 * @since 0.1
 */
UM_API int um_status(um_status_info **out, um_ctx *ctx);

/** Options of um_status_v2().  @since 0.1 */
typedef struct um_status_options {
    unsigned int version; /**< UM_STATUS_OPTIONS_VERSION */
    /**
     * Non-zero: read a summary of each applied row, its revision,
     * checksum, time and state (what the counts, the problems and
     * unfinished revisions need): its duration_ms is then 0 and its
     * applied_by, host, application_name and tool_version NULL, and
     * um_status_to_json() writes them as null.  At thousands of applied
     * revisions the server sends half as much.
     */
    int summary;
} um_status_options;

/** The version of um_status_options this header describes.  @since 0.1 */
#define UM_STATUS_OPTIONS_VERSION 1
/** The defaults of um_status_options, for an initializer.  @since 0.1 */
#define UM_STATUS_OPTIONS_INIT                                                                     \
    {                                                                                              \
        UM_STATUS_OPTIONS_VERSION, 0                                                               \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_STATUS_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_status_options_init(um_status_options *opts, unsigned int version);

/**
 * um_status() with options (NULL: the defaults, which are um_status()).
 * @return as um_status(); UM_EVERSION for options of an unknown version.
 * @since 0.1
 */
UM_API int um_status_v2(um_status_info **out, um_ctx *ctx, const um_status_options *opts);

/** Frees a status.  NULL: no-op.  @since 0.1 */
UM_API void um_status_free(um_status_info *status);

/**
 * One entry of the append-only history.  Reached only through
 * um_history_at(); fields may be appended.  Owned by the list.
 * @since 0.1
 */
typedef struct um_history_entry {
    int64_t id;
    const char *revision;
    const char *direction;  /**< "up", "down", "stamp" or "restore" */
    const char *state;      /**< "ok", "failed" or "cancelled" */
    const char *started_at; /**< ISO 8601 */
    double duration_ms;
    const char *applied_by;
    const char *host;
    const char *application_name;
    const char *tool_version;
    const char *error; /**< failure message, or NULL */
} um_history_entry;

/**
 * The history read by um_history().  Opaque: read it through the
 * accessors (each takes NULL as an empty list).
 * @since 0.1
 */
typedef struct um_history_list um_history_list;

/** Number of entries.  @since 0.1 */
UM_API size_t um_history_count(const um_history_list *history);
/** The @p i-th entry, oldest first; NULL when out of range.  @since 0.1 */
UM_API const um_history_entry *um_history_at(const um_history_list *history, size_t i);

/**
 * Reads the history, oldest first (the newest @p limit entries; 0: all).
 * A database never migrated has an empty history.
 * @param out  receives the list; free with um_history_free().
 * @return UM_OK, UM_EINVAL, UM_ECONNECT, UM_EAUTH, UM_ESQL.
 * @since 0.1
 */
UM_API int um_history(um_history_list **out, um_ctx *ctx, size_t limit);

/** Frees a history list.  NULL: no-op.  @since 0.1 */
UM_API void um_history_free(um_history_list *history);

/* ------------------------------------------------------------------ */
/* Health snapshot                                                      */
/* ------------------------------------------------------------------ */

/** The database's migration status, as a health check reports it.  @since 0.1 */
typedef enum um_health_status {
    UM_HEALTH_OK = 0,          /**< at the heads of the files, nothing failed */
    UM_HEALTH_PENDING = 1,     /**< revisions in the files are not applied yet */
    UM_HEALTH_FAILED = 2,      /**< a revision failed, or a run left it in progress
                                    (killed: no session holds the migration lock) */
    UM_HEALTH_AHEAD = 3,       /**< the database has revisions the files do not know */
    UM_HEALTH_DIVERGED = 4,    /**< an applied revision's file has changed since */
    UM_HEALTH_UNREACHABLE = 5, /**< the database cannot be reached */
    /**
     * The last run was cancelled (um_cancel(), a progress callback) and left
     * nothing half done, and revisions remain to apply: not a failure (a
     * SIGTERM during a rolling deploy), the next run continues.  A
     * "Transactional: no" revision cancelled part-way is UM_HEALTH_FAILED.
     */
    UM_HEALTH_CANCELLED = 6,
    /**
     * A run is migrating: every revision left unfinished is in progress
     * (a "Transactional: no" revision running, such as a long CREATE INDEX
     * CONCURRENTLY) and another session holds the migration lock right now
     * (lock_mode = advisory: its advisory lock, in pg_locks; lock_mode =
     * table: a lock row whose lease has not expired).  Not a failure: like
     * UM_HEALTH_PENDING, the database is not at the heads yet and a deploy
     * passes through it.  A revision in progress with no holder of the
     * lock is a killed run, UM_HEALTH_FAILED.  The lock is only looked at
     * when a revision is unfinished (a second query).
     * @since 0.1
     */
    UM_HEALTH_MIGRATING = 7
} um_health_status;

/** How many heads a um_health keeps (of each kind).  @since 0.1 */
#define UM_HEALTH_MAX_HEADS 8
/** Bytes of a revision id in a um_health: at most 32 and a NUL.  @since 0.1 */
#define UM_HEALTH_ID_SIZE 33

/**
 * A health snapshot, in memory the caller owns (no allocation, nothing to
 * free).  The caller sets version to UM_HEALTH_VERSION; fields are only
 * appended, with a new UM_HEALTH_VERSION.
 * @since 0.1
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
    size_t pending;                       /**< revisions of the files not applied, neither
                                          failed nor in progress: um_status_count()'s
                                          UM_STATUS_PENDING (0 when unreachable: unknown) */
    char last_applied[UM_HEALTH_ID_SIZE]; /**< newest applied revision, "" if none */
    char last_applied_at[40];             /**< ISO 8601 UTC, "" if none */
    double round_trip_ms;                 /**< the snapshot's query, as the client saw it */
    char taken_at[40];                    /**< ISO 8601 UTC, the client's clock */
    char message[256]; /**< one line: why the status is what it is (at most 255 bytes,
                            cut at a character) */
} um_health;

/** The version of um_health this header describes.  @since 0.1 */
#define UM_HEALTH_VERSION 1
/**
 * An initializer of um_health: C only (a designated initializer); C++
 * hosts call um_health_init().
 * @since 0.1
 */
#define UM_HEALTH_INIT                                                                             \
    {                                                                                              \
        .version = UM_HEALTH_VERSION                                                               \
    }

/**
 * Zeroes @p h and sets its version to @p version (UM_HEALTH_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p h or an unknown version.
 * @since 0.1
 */
UM_API int um_health_init(um_health *h, unsigned int version);

/**
 * Takes a health snapshot: one query on the open handle, no file I/O (the
 * files were read at um_open()).  A database that cannot be reached is not
 * an error but status UM_HEALTH_UNREACHABLE with the reason in message; an
 * owned connection that dropped is re-established by the next call.
 * Checksums are compared when the history changed since the last snapshot
 * (one more query then), so "diverged" follows every run; a revision left
 * in progress costs one more query too, which tells a run migrating
 * (UM_HEALTH_MIGRATING) from a killed one (UM_HEALTH_FAILED).
 * @param out  the caller's snapshot, its version set (UM_HEALTH_INIT or
 *             um_health_init()).
 * @return UM_OK (the snapshot is filled, whatever its status), UM_EINVAL,
 *         UM_EVERSION (out->version), UM_ENOMEM.
 * @since 0.1
 */
UM_API int um_health_snapshot(um_health *out, um_ctx *ctx);

/**
 * Static lowercase name of a status: "ok", "pending", "failed", "ahead",
 * "diverged", "unreachable", "cancelled", "migrating"; "unknown" for
 * another value.
 * @since 0.1
 */
UM_API const char *um_health_status_name(um_health_status status);

/**
 * JSON text of a snapshot in the host health aggregator's vocabulary
 * (docs/json.md): name "database_migrations", service_type "database",
 * critical false, status at the top level.  Free with um_free(); NULL on
 * failure (a NULL argument, out of memory).
 * @since 0.1
 */
UM_API char *um_health_to_json(const um_health *health);

/* ------------------------------------------------------------------ */
/* JSON renderings (documented in docs/json.md)                         */
/* ------------------------------------------------------------------ */

/*
 * Every renderer returns the whole document or NULL: NULL for a NULL
 * argument, when memory runs out, or when a text cannot be put in JSON (a
 * file name that is not UTF-8); never a document with a piece left out.
 */

/**
 * JSON text of a status; free with um_free().  NULL on failure.
 * @since 0.1
 */
UM_API char *um_status_to_json(const um_status_info *status);
/**
 * JSON text of a history list; free with um_free().  NULL on failure.
 * @since 0.1
 */
UM_API char *um_history_to_json(const um_history_list *history);
/**
 * JSON text of one revision; free with um_free().  NULL on failure.
 * @since 0.1
 */
UM_API char *um_revision_to_json(const um_revision *rev);

/* ------------------------------------------------------------------ */
/* New revision files                                                   */
/* ------------------------------------------------------------------ */

/** Options of um_generate().  @since 0.1 */
typedef struct um_generate_options {
    unsigned int version;       /**< UM_GENERATE_OPTIONS_VERSION */
    const char *message;        /**< required */
    const char *rev_id;         /**< NULL: 12 random hex digits */
    const char *const *parents; /**< explicit parents (merge); NULL: see head */
    size_t n_parents;
    const char
        *head;  /**< NULL: the current head; "base": a new base; else build on this revision */
    int splice; /**< allow head to be a non-head revision */
    const char *const *depends_on; /**< revisions or branch labels, kept as given */
    size_t n_depends_on;
    /**
     * Branch Labels of the new revision: names for its branch, usable in
     * targets ("audit@head").  Each is an identifier as a revision id is,
     * used by no revision or label yet, and not head, heads, base or
     * current.
     */
    const char *const *branch_labels;
    size_t n_branch_labels;
} um_generate_options;

/** The version of um_generate_options this header describes.  @since 0.1 */
#define UM_GENERATE_OPTIONS_VERSION 1
/** The defaults of um_generate_options, for an initializer.  @since 0.1 */
#define UM_GENERATE_OPTIONS_INIT                                                                   \
    {                                                                                              \
        UM_GENERATE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0                \
    }

/**
 * Fills @p opts with the defaults of @p version
 * (UM_GENERATE_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_generate_options_init(um_generate_options *opts, unsigned int version);

/**
 * Writes a new revision file from the template (script.sql.tmpl beside
 * versions/), named by file_template.  Without parents and head, the new
 * revision revises every current head of the graph (several heads: pass
 * parents, or use um_merge()).  The handle's graph is not changed: open a
 * new handle to see the file.  um_lint_generated() lints the file as the
 * configuration's lint_on_upgrade asks.
 *
 * @param out  receives the new file's path (free with um_free()); NULL if
 *             the caller does not want it.  Left NULL on failure.
 * @param opts  required: a new revision needs a message.
 * @return UM_OK, UM_EINVAL (no message; a rev_id or a branch label that is
 *         not valid or exists), UM_EVERSION, UM_ENOMEM, UM_ETARGET, UM_EIO,
 *         UM_ECONFIG (a bad file_template, an unknown timezone), UM_EPARSE
 *         (a bad template).
 * @since 0.1
 */
UM_API int um_generate(char **out, um_ctx *ctx, const um_generate_options *opts);

/** Options of um_merge().  @since 0.1 */
typedef struct um_merge_options {
    unsigned int version;    /**< UM_MERGE_OPTIONS_VERSION */
    const char *message;     /**< NULL: "merge ID, ID" of the parents */
    const char *const *revs; /**< the revisions to merge; NULL/0: every head */
    size_t n_revs;
    const char *rev_id; /**< NULL: 12 random hex digits */
} um_merge_options;

/** The version of um_merge_options this header describes.  @since 0.1 */
#define UM_MERGE_OPTIONS_VERSION 1
/** The defaults of um_merge_options, for an initializer.  @since 0.1 */
#define UM_MERGE_OPTIONS_INIT                                                                      \
    {                                                                                              \
        UM_MERGE_OPTIONS_VERSION, NULL, NULL, 0, NULL                                              \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_MERGE_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_merge_options_init(um_merge_options *opts, unsigned int version);

/**
 * Writes a merge revision whose parents are the options' revs (at least
 * two), or every head of the graph; without a message, "merge ID, ID"
 * names the parents.  NULL @p opts: every head.
 * @param out  as um_generate().
 * @return as um_generate(); UM_ETARGET when there is nothing to merge
 *         (fewer than two heads, or fewer than two revs).
 * @since 0.1
 */
UM_API int um_merge(char **out, um_ctx *ctx, const um_merge_options *opts);

/* ------------------------------------------------------------------ */
/* Autogenerate                                                         */
/* ------------------------------------------------------------------ */

/** Options of um_autogenerate().  @since 0.1 */
typedef struct um_autogen_options {
    unsigned int version; /**< UM_AUTOGEN_OPTIONS_VERSION */
    const char *message;  /**< required: the new revision's message */
    /**
     * Non-zero: compare the schema file with the configured database
     * itself (only read).  0 (default): with the revision files replayed
     * to their heads in a scratch database, so that production is never
     * needed.
     */
    int from_db;
    const char *schema_file; /**< NULL: the configuration's schema_file */
    const char *rev_id;      /**< as um_generate_options */
    const char *head;        /**< as um_generate_options */
    int splice;              /**< as um_generate_options */
    int dry_run;             /**< non-zero: compute the SQL, write no file */
} um_autogen_options;

/** The version of um_autogen_options this header describes.  @since 0.1 */
#define UM_AUTOGEN_OPTIONS_VERSION 1
/** The defaults of um_autogen_options, for an initializer.  @since 0.1 */
#define UM_AUTOGEN_OPTIONS_INIT                                                                    \
    {                                                                                              \
        UM_AUTOGEN_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL, 0, 0                                \
    }

/**
 * Fills @p opts with the defaults of @p version (UM_AUTOGEN_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_autogen_options_init(um_autogen_options *opts, unsigned int version);

/** What um_autogenerate() found and wrote.  @since 0.1 */
typedef struct um_autogen_result um_autogen_result;

/**
 * Writes a revision from the difference between the declared schema and
 * the database (docs/autogenerate.md).  The schema file (one file, or a
 * directory of .sql files read in name order) is loaded into a scratch
 * database; the current schema is the revision files replayed to their
 * heads in a second one (or, with from_db, the configured database).  Both
 * are read from pg_catalog and compared; the up section takes current to
 * desired, the down section back.  The file is written as um_generate()
 * writes one (template, file name, parents).  Scratch databases are made
 * on the configured server, or on shadow_database_url's, and always
 * dropped, after an error or um_cancel() too.
 *
 * No difference: UM_OK, no file, um_autogen_result_differs() 0.
 * compare_type / compare_server_default = false leave column types and
 * defaults out of the comparison; compare_privileges = true adds the
 * privileges (GRANT / REVOKE), left out by default.  Each destructive statement is logged as
 * a warning; um_lint_generated() lints the written file.
 *
 * @param out  receives the result (free with um_autogen_result_free());
 *             left NULL on failure.
 * @return UM_OK, UM_EINVAL (no message), UM_EVERSION, UM_ENOMEM,
 *         UM_ECONFIG (no schema_file), UM_EIO (the schema file), UM_ESQL
 *         (the schema file or a revision failed: file, line and revision
 *         named), UM_ECONNECT, UM_EAUTH, UM_ECANCELLED, and um_generate()'s
 *         codes.
 * @since 0.1
 */
UM_API int um_autogenerate(um_autogen_result **out, um_ctx *ctx, const um_autogen_options *opts);

/** Non-zero when the schemas differ (a revision was, or would be, written).  @since 0.1 */
UM_API int um_autogen_result_differs(const um_autogen_result *res);
/** The up section's SQL ("" without a difference); owned by @p res.  @since 0.1 */
UM_API const char *um_autogen_result_up(const um_autogen_result *res);
/** The down section's SQL; owned by @p res.  @since 0.1 */
UM_API const char *um_autogen_result_down(const um_autogen_result *res);
/** The written file, or NULL (no difference, dry_run); owned by @p res.  @since 0.1 */
UM_API const char *um_autogen_result_path(const um_autogen_result *res);
/** How many statements of the up section are destructive.  @since 0.1 */
UM_API size_t um_autogen_result_destructive_count(const um_autogen_result *res);
/**
 * The text of the up section's @p i th "-- destructive:" comment (without
 * that prefix), or NULL past the end.  @since 0.1
 */
UM_API const char *um_autogen_result_destructive_at(const um_autogen_result *res, size_t i);
/** Frees a result.  NULL: no-op.  @since 0.1 */
UM_API void um_autogen_result_free(um_autogen_result *res);

/** Options of um_project_init().  @since 0.1 */
typedef struct um_project_init_options {
    unsigned int version;    /**< UM_PROJECT_INIT_OPTIONS_VERSION */
    const char *config_path; /**< the configuration file to create; NULL: none */
    /**
     * The migrations directory; NULL: the one an existing config_path
     * names, else "migrations".
     */
    const char *script_location;
    um_log_cb log_cb; /**< told what was created or kept; NULL: silent */
    void *log_payload;
} um_project_init_options;

/** The version of um_project_init_options this header describes.  @since 0.1 */
#define UM_PROJECT_INIT_OPTIONS_VERSION 1
/** The defaults of um_project_init_options, for an initializer.  @since 0.1 */
#define UM_PROJECT_INIT_OPTIONS_INIT                                                               \
    {                                                                                              \
        UM_PROJECT_INIT_OPTIONS_VERSION, NULL, NULL, NULL, NULL                                    \
    }

/**
 * Fills @p opts with the defaults of @p version
 * (UM_PROJECT_INIT_OPTIONS_VERSION).
 * @return UM_OK, or UM_EINVAL for a NULL @p opts or an unknown version.
 * @since 0.1
 */
UM_API int um_project_init_options_init(um_project_init_options *opts, unsigned int version);

/**
 * Creates a project: script_location with versions/ and the default
 * script.sql.tmpl, and config_path (when not NULL) naming it.  Existing
 * files are kept, never overwritten; log_cb says what was created.  There
 * is no handle to hold an error, so the message comes back in @p errmsg_out.
 * NULL @p opts: a "migrations" directory and no configuration file.
 * @param errmsg_out  on failure receives a message (free with um_free()),
 *                    else NULL; may be NULL.
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_EIO, UM_ECONFIG (an
 *         existing config file that does not load).
 * @since 0.1
 */
UM_API int um_project_init(char **errmsg_out, const um_project_init_options *opts);

/* ------------------------------------------------------------------ */
/* Lint                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Lint reads revision files with PostgreSQL's own parser and reports what
 * their up sections would do to a live system: data loss, long locks and
 * table rewrites, changes that break the running application, and
 * mistakes (docs/lint.md lists the rules).  It never connects, except to
 * learn which revisions are pending when no files are named.
 */

/**
 * Severity of a finding; ultramigrate.ini's lint.RULE keys change it.
 * @since 0.1
 */
typedef enum um_lint_severity {
    UM_LINT_WARNING = 1, /**< worth a look; a safe form usually exists */
    UM_LINT_ERROR = 2    /**< loses data, or fails when it runs */
} um_lint_severity;

/**
 * Options of um_lint().
 * @since 0.1
 */
typedef struct um_lint_options {
    unsigned int version;     /**< UM_LINT_OPTIONS_VERSION */
    const char *const *paths; /**< files to lint, in this order (revision files or
                                   plain SQL); NULL: see @c all */
    size_t n_paths;
    /**
     * Without paths: non-zero lints every revision file in apply order;
     * 0 (default) lints the revisions an upgrade to heads would apply,
     * which reads the database's state.
     */
    int all;
} um_lint_options;

/** The version of um_lint_options this header describes.  @since 0.1 */
#define UM_LINT_OPTIONS_VERSION 1
/** The defaults of um_lint_options, for an initializer.  @since 0.1 */
#define UM_LINT_OPTIONS_INIT                                                                       \
    {                                                                                              \
        UM_LINT_OPTIONS_VERSION, NULL, 0, 0                                                        \
    }

/**
 * Fills @p opts with defaults.
 * @param opts     the options to fill
 * @param version  UM_LINT_OPTIONS_VERSION
 * @return UM_OK, or UM_EINVAL (NULL @p opts, unknown @p version).
 * @since 0.1
 */
UM_API int um_lint_options_init(um_lint_options *opts, unsigned int version);

/**
 * One finding.  Reached only through um_lint_at(), so that fields can be
 * appended.  Strings are owned by the result.
 * @since 0.1
 */
typedef struct um_lint_finding {
    const char *rule;          /**< the rule's id, e.g. "drop-table" */
    um_lint_severity severity; /**< after the configuration's lint.RULE keys */
    const char *file;          /**< the file, as given or as the graph names it */
    int line;                  /**< 1-based line in that file */
    int column;                /**< 1-based column, counted in characters */
    const char *revision;      /**< the revision id, NULL for plain SQL */
    const char *message;       /**< what happens and the safe alternative, one line */
} um_lint_finding;

/**
 * The findings of um_lint(), owned by the caller (um_lint_free()).  Once
 * returned it is read-only, may be read from any thread, and does not
 * depend on the handle: it may outlive it.
 * @since 0.1
 */
typedef struct um_lint_result um_lint_result;

/**
 * Lints revision files as one run, in order: a table created by an
 * earlier file of the run (or earlier in the same file) counts as new, and
 * the rules about locks and rewrites leave it alone.  Findings come in
 * file order, then position order.  Suppressions
 * ("-- ultramigrate:lint-ignore RULE reason") and the configuration's
 * lint.RULE severities are applied.  A syntax error is a finding (rule
 * "syntax-error"), not a failure.
 *
 * @param out   receives the result (free with um_lint_free()), even when
 *              it holds errors; NULL on failure.
 * @param ctx   an open handle
 * @param opts  which files; NULL: the pending revisions
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_EIO (a file cannot
 *         be read), UM_EPARSE (a revision file's header is malformed), and
 *         for the pending revisions UM_ECONNECT, UM_ESQL or UM_ESTATE.
 * @since 0.1
 */
UM_API int um_lint(um_lint_result **out, um_ctx *ctx, const um_lint_options *opts);

/**
 * Lints a file um_generate(), um_merge() or um_autogenerate() has just
 * written, as the configuration's lint_on_upgrade asks: the writers do not
 * lint by themselves, so that the host decides how to show the findings.
 * The file is linted alone, as um_lint() lints a path: the tables earlier
 * revisions create count as existing ones, even when those revisions are
 * still pending.
 *
 * @param out   receives the findings (free with um_lint_free()), also when
 *              the call returns UM_ELINT; NULL with lint_on_upgrade = off
 *              (nothing is linted) and on any other failure.
 * @param ctx   an open handle
 * @param path  the written file, as the writer returned it
 * @return UM_OK (findings or none); UM_ELINT when lint_on_upgrade = error
 *         and a finding is an error: the file stays written, and
 *         um_errmsg() names it; UM_EINVAL, UM_ENOMEM, UM_EIO, UM_EPARSE as
 *         um_lint().
 * @since 0.1
 */
UM_API int um_lint_generated(um_lint_result **out, um_ctx *ctx, const char *path);

/**
 * Number of findings.
 * @param result  a result, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_lint_count(const um_lint_result *result);

/**
 * The @p i-th finding.
 * @param result  a result
 * @param i       0 to um_lint_count() - 1
 * @return the finding, owned by @p result; NULL when out of range.
 * @since 0.1
 */
UM_API const um_lint_finding *um_lint_at(const um_lint_result *result, size_t i);

/**
 * Number of findings of severity UM_LINT_ERROR.
 * @param result  a result, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_lint_error_count(const um_lint_result *result);

/**
 * Number of findings of severity UM_LINT_WARNING.
 * @param result  a result, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_lint_warning_count(const um_lint_result *result);

/**
 * JSON text of a result (docs/json.md, "Lint").
 * @param result  a result
 * @return the text, freed with um_free(); NULL for a NULL @p result, on
 *         out of memory, or when a text cannot be put in JSON (a file name
 *         that is not UTF-8); never a partial document.
 * @since 0.1
 */
UM_API char *um_lint_to_json(const um_lint_result *result);

/**
 * Frees a result.
 * @param result  a result, or NULL (no-op)
 * @since 0.1
 */
UM_API void um_lint_free(um_lint_result *result);

/* ------------------------------------------------------------------ */
/* Verify                                                               */
/* ------------------------------------------------------------------ */

/*
 * Verify checks that the revision files can be trusted to run, and that
 * the database is where the files say it can be: the checks a CI pipeline
 * runs before a deploy (docs/cli.md, "verify" and "check").
 *
 * Offline, on the files: every up and down section parses (PostgreSQL's
 * own parser); one head unless allow_multiple_heads; a revision without a
 * down section (a warning); a transactional revision holding transaction
 * control (BEGIN, COMMIT, ROLLBACK, ABORT, END...) or a statement
 * PostgreSQL refuses inside a transaction block (CREATE INDEX
 * CONCURRENTLY, VACUUM, ALTER SYSTEM, CREATE/DROP DATABASE, REINDEX
 * CONCURRENTLY...), with its line.  A graph that is not sound (a cycle, a
 * missing parent) already fails um_open().
 *
 * Online, on the database (one read of its state): an applied revision
 * whose up section changed since (both checksums named), an applied
 * revision that no file defines any more, a revision failed or in
 * progress, a database at a revision the files do not know (ahead).
 *
 * Drift (um_verify_options.drift): the database's schema against the
 * declared one (schema_file), as `auto --from-db` compares them
 * (docs/autogenerate.md): one finding per difference, with the SQL that
 * would remove it, and the whole script in um_verify_drift_sql().
 */

/** Severity of a verify finding.  @since 0.1 */
typedef enum um_verify_severity {
    UM_VERIFY_WARNING = 1, /**< worth a look; not a failure */
    UM_VERIFY_ERROR = 2    /**< the files or the database cannot be trusted as they are */
} um_verify_severity;

/** Whether the online checks ran.  @since 0.1 */
typedef enum um_verify_online {
    UM_VERIFY_ONLINE_OFF = 0,    /**< not asked for (um_verify_options.offline) */
    UM_VERIFY_ONLINE_DONE = 1,   /**< they ran */
    UM_VERIFY_ONLINE_SKIPPED = 2 /**< the database could not be reached: see
                                      um_verify_online_reason() */
} um_verify_online;

/** Options of um_verify().  @since 0.1 */
typedef struct um_verify_options {
    unsigned int version;     /**< UM_VERIFY_OPTIONS_VERSION */
    int allow_multiple_heads; /**< non-zero: several heads are no finding */
    int offline;              /**< non-zero: the files only, no connection */
    /**
     * The stairway test (NULL: not run): on this scratch database, which
     * must hold no table, view, function, type, sequence or schema of its
     * own, every revision in apply order is applied, downgraded and
     * applied again, and the catalog after its down section is compared
     * with the one before its up section.  The first revision whose down
     * section does not undo its up section is reported (code
     * "roundtrip-mismatch", one finding per object that differs, e.g.
     * "index public.i_x still exists"), and the test stops there.  The
     * database is left with every revision applied, or as the failure
     * left it.
     */
    const char *roundtrip_url;
    /**
     * Non-zero: the drift check (version 2), part of the online checks.
     * The configured database is read (never written: its model is taken
     * exactly as um_autogenerate() with from_db takes it), the schema file
     * (configuration's schema_file) is loaded into a scratch database on
     * the same server (or shadow_database_url's), which is always dropped,
     * also after an error or um_cancel(); the two are compared through
     * autogenerate's model and differ, with compare_type and
     * compare_server_default as configured.  Each difference is an error
     * finding with code "drift" (see um_verify_finding's drift fields);
     * um_verify_drift_sql() gives the whole script.  Not run when the
     * database cannot be reached (UM_VERIFY_ONLINE_SKIPPED); an error with
     * @c offline.
     */
    int drift;
} um_verify_options;

/**
 * The version of um_verify_options this header describes: 2 added drift.
 * A host built with version 1 keeps working: its shorter struct is read
 * as version 1, without the drift check.
 * @since 0.1
 */
#define UM_VERIFY_OPTIONS_VERSION 2
/** The defaults of um_verify_options, for an initializer.  @since 0.1 */
#define UM_VERIFY_OPTIONS_INIT                                                                     \
    {                                                                                              \
        UM_VERIFY_OPTIONS_VERSION, 0, 0, NULL, 0                                                   \
    }

/**
 * Fills @p opts with the defaults of @p version (1 or
 * UM_VERIFY_OPTIONS_VERSION); only the fields of that version are written.
 * @param opts     the options to fill
 * @param version  1 or UM_VERIFY_OPTIONS_VERSION
 * @return UM_OK, or UM_EINVAL (NULL @p opts, unknown @p version).
 * @since 0.1
 */
UM_API int um_verify_options_init(um_verify_options *opts, unsigned int version);

/**
 * One finding.  Reached only through um_verify_at(), so that fields can
 * be appended.  Strings are owned by the result.
 * @since 0.1
 */
typedef struct um_verify_finding {
    um_verify_severity severity;
    /**
     * What was found, kebab-case (docs/cli.md lists them): "syntax-error",
     * "multiple-heads", "missing-down", "empty-up", "transaction-control",
     * "not-in-transaction-block", "checksum-mismatch", "missing-file",
     * "database-ahead", "revision-failed", "revision-in-progress",
     * "roundtrip-error", "roundtrip-mismatch", "drift".
     */
    const char *code;
    const char *revision; /**< the revision it concerns, or NULL */
    const char *file;     /**< its file, or NULL (a revision no file defines) */
    int line;             /**< 1-based line in that file, 0 if none */
    const char *message;  /**< one line: what is wrong and what to do */
    /*
     * A "drift" finding's object and difference; NULL in every other
     * finding.  @since 0.1
     */
    /** The object's kind: "schema", "extension", "enum", "domain",
     *  "sequence", "table", "column", "constraint", "index", "view",
     *  "function", "trigger", "policy".  @since 0.1 */
    const char *object_kind;
    /** Its name, qualified and quoted as the server quotes it
     *  (public.orders, public.orders.id, public.f(integer)).  @since 0.1 */
    const char *object_name;
    /** "missing": in the schema file, not in the database; "extra": in the
     *  database, not in the schema file; "changed": in both, differing in
     *  @c attribute.  @since 0.1 */
    const char *difference;
    /** "changed": what differs ("type", "default", "not null",
     *  "definition", "comment"...); else NULL.  @since 0.1 */
    const char *attribute;
    /** "changed": the attribute in the database, as the server renders it
     *  (NULL: not set); else NULL.  @since 0.1 */
    const char *database_value;
    /** "changed": the attribute in the schema file (NULL: not set).
     *  @since 0.1 */
    const char *schema_value;
    /** The statements of um_verify_drift_sql() about this object (for a
     *  missing or extra table, with its columns, keys and indexes); ""
     *  when the change is made only by statements about other objects.
     *  @since 0.1 */
    const char *sql;
} um_verify_finding;

/**
 * What um_verify() found.  Opaque: read it through the accessors.
 * Read-only once returned; it must not outlive its handle.
 * @since 0.1
 */
typedef struct um_verify_result um_verify_result;

/**
 * Verifies the revision files and, unless @c offline, the database's state
 * against them (see above); with @c roundtrip_url, runs the stairway test
 * on that database.  A database that cannot be reached is not a failure:
 * the offline findings are returned and um_verify_online() says
 * UM_VERIFY_ONLINE_SKIPPED.
 *
 * @param out   receives the result (free with um_verify_free()), even when
 *              it holds errors; NULL on failure.
 * @param ctx   an open handle
 * @param opts  NULL: the defaults (online, one head required, no roundtrip)
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_EIO (a file cannot
 *         be read again), UM_ECHECKSUM (a file changed since um_open()),
 *         UM_ESQL (reading the state failed); with roundtrip_url also
 *         UM_ECONNECT, UM_EAUTH (that database), UM_ESTATE (it is not empty);
 *         with drift also UM_EINVAL (with offline), UM_ECONFIG (no
 *         schema_file), UM_EIO (the schema file cannot be read), UM_ESQL
 *         (it fails: file and line named), UM_ECONNECT or UM_EAUTH (the
 *         scratch database's server); UM_ECANCELLED after um_cancel()
 *         (between statements of the scan, between the stairway test's
 *         steps, the statement running on either database cancelled): no
 *         result then, whatever was found so far.
 * @since 0.1
 */
UM_API int um_verify(um_verify_result **out, um_ctx *ctx, const um_verify_options *opts);

/**
 * Number of findings.
 * @param result  a result, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_verify_count(const um_verify_result *result);

/**
 * The @p i-th finding: offline ones in apply order, then online ones, then
 * drift ones (kind by kind, objects by name), then the stairway test's.
 * @param result  a result
 * @param i       0 to um_verify_count() - 1
 * @return the finding, owned by @p result; NULL when out of range.
 * @since 0.1
 */
UM_API const um_verify_finding *um_verify_at(const um_verify_result *result, size_t i);

/**
 * Number of findings of severity UM_VERIFY_ERROR.
 * @param result  a result, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_verify_error_count(const um_verify_result *result);

/**
 * Whether the online checks ran.
 * @param result  a result, or NULL (UM_VERIFY_ONLINE_OFF)
 * @return a um_verify_online value.
 * @since 0.1
 */
UM_API um_verify_online um_verify_online_state(const um_verify_result *result);

/**
 * Why the online checks were skipped (the connection error, without any
 * password), or NULL when they were not.
 * @param result  a result, or NULL
 * @return a string owned by @p result, or NULL.
 * @since 0.1
 */
UM_API const char *um_verify_online_reason(const um_verify_result *result);

/**
 * The database's status as the online checks read it (current heads, file
 * heads, pending revisions: the status accessors read it), or NULL when
 * they did not run.
 * @param result  a result, or NULL
 * @return the status, owned by @p result.
 * @since 0.1
 */
UM_API const um_status_info *um_verify_status(const um_verify_result *result);

/**
 * The SQL that would bring the database to the schema file, in an order
 * PostgreSQL accepts: what um_autogenerate() with from_db would write as
 * the up section, "-- destructive:" comments included.  Run as a whole:
 * a finding's own statements may need others (a view dropped and created
 * again around a column's new type).
 * @param result  a result, or NULL
 * @return "" when nothing drifted; NULL when the drift check did not run
 *         (not asked for, or the database could not be reached); owned by
 *         @p result.
 * @since 0.1
 */
UM_API const char *um_verify_drift_sql(const um_verify_result *result);

/**
 * JSON text of a result (docs/json.md, "Verify and check").
 * @param result  a result
 * @return the text, freed with um_free(); NULL for a NULL @p result, on out
 *         of memory, or for text JSON cannot carry; never a partial document.
 * @since 0.1
 */
UM_API char *um_verify_to_json(const um_verify_result *result);

/**
 * Frees a result.
 * @param result  a result, or NULL (no-op)
 * @since 0.1
 */
UM_API void um_verify_free(um_verify_result *result);

/* ------------------------------------------------------------------ */
/* Backups                                                              */
/* ------------------------------------------------------------------ */

/*
 * Backups are taken and restored with PostgreSQL's own client programs,
 * pg_dump, pg_restore and psql, run as child processes (no shell) with the
 * handle's connection parameters in their environment: the password never
 * appears on a command line.  The programs are taken from the
 * configuration's pg_bin_dir, else from the server's major version under
 * /usr/lib/postgresql/MAJOR/bin (Debian) and /usr/pgsql-MAJOR/bin (PGDG),
 * else from PATH; a pg_dump older than the server is refused before
 * anything runs.  Every backup is written under a temporary name, synced,
 * checked (pg_restore --list for an archive, pg_dump's completion comment
 * for plain SQL) and renamed, with a manifest beside it (FILE.json:
 * docs/json.md) that records its SHA-256.  Files are created mode 0600, a
 * missing directory mode 0700.  A child program gets SIGTERM when the call
 * is cancelled (um_cancel(), or the progress callback).
 */

/** Format of a backup.  @since 0.1 */
typedef enum um_backup_format {
    UM_BACKUP_FORMAT_DEFAULT = 0, /**< in options: the configuration's backup_format */
    UM_BACKUP_CUSTOM = 1,         /**< pg_dump's archive (-Fc), ".dump" */
    UM_BACKUP_PLAIN = 2           /**< SQL (-Fp --clean --if-exists --no-owner), ".sql" */
} um_backup_format;

/** What um_backup_list() found out about a backup.  @since 0.1 */
typedef enum um_backup_check {
    UM_BACKUP_OK = 0,                /**< the file matches its manifest's size and SHA-256 */
    UM_BACKUP_CHECKSUM_MISMATCH = 1, /**< it no longer does: the file changed */
    UM_BACKUP_NO_MANIFEST = 2,       /**< a backup file without its manifest */
    UM_BACKUP_BAD_MANIFEST = 3,      /**< the manifest cannot be read or is not one */
    UM_BACKUP_FILE_MISSING = 4       /**< a manifest whose backup file is gone */
} um_backup_check;

/**
 * One backup: the file and what its manifest records.  Reached only by
 * pointer: fields may be appended.  Strings are owned by the object (or by
 * the list it belongs to); fields the manifest does not give are NULL or 0.
 * Self-contained: it may outlive the handle.
 * @since 0.1
 */
struct um_backup_info {
    const char *path;          /**< the backup file */
    const char *manifest_path; /**< its manifest: path + ".json" */
    um_backup_format format;   /**< UM_BACKUP_CUSTOM or UM_BACKUP_PLAIN */
    uint64_t size;             /**< bytes, as the manifest records them */
    const char *sha256;        /**< lowercase hex, as the manifest records it */
    const char *database;      /**< the database it is a backup of */
    const char *const *heads;  /**< the version table's rows when it was taken */
    size_t n_heads;
    const char *created_at;      /**< ISO 8601 UTC, to the millisecond */
    const char *server_version;  /**< the server's, as it reports it */
    const char *pg_dump_version; /**< the pg_dump that wrote it */
    const char *tool_version;    /**< the ultramigrate that took it */
    double duration_ms;          /**< how long um_backup() took; 0 when read from a manifest */
    um_backup_check check;       /**< UM_BACKUP_OK from um_backup(); see um_backup_list() */
};

/** Where a backup or a restore is, for the progress callback.  @since 0.1 */
typedef enum um_backup_phase {
    UM_BACKUP_DUMPING = 0,   /**< pg_dump runs */
    UM_BACKUP_VERIFYING = 1, /**< checksum and archive check */
    UM_BACKUP_RESTORING = 2, /**< pg_restore or psql runs */
    UM_BACKUP_FINISHED = 3   /**< done (called once, on success) */
} um_backup_phase;

/**
 * Payload of the backup progress callback; valid only during the call.
 * Reached only by pointer: fields may be appended.
 * @since 0.1
 */
typedef struct um_backup_progress {
    um_backup_phase phase;
    const char *path;  /**< the file written or read */
    uint64_t bytes;    /**< UM_BACKUP_DUMPING: written so far; else the file's size */
    double elapsed_ms; /**< since the call started */
} um_backup_progress;

/**
 * Backup progress callback: called when a phase starts and about every
 * 200 ms while a program runs.  Returning non-zero cancels: the program is
 * stopped, a partial file removed, and the call fails with UM_ECANCELLED.
 * It calls nothing on the handle but lookups, as the log callback (others
 * fail with UM_EINVAL).
 * @since 0.1
 */
typedef int (*um_backup_progress_cb)(const um_backup_progress *progress, void *payload);

/** Options of um_backup().  @since 0.1 */
typedef struct um_backup_options {
    unsigned int version;    /**< UM_BACKUP_OPTIONS_VERSION */
    um_backup_format format; /**< UM_BACKUP_FORMAT_DEFAULT: the configuration's backup_format */
    /**
     * The file to write (its manifest goes beside it; it must not exist);
     * NULL: a new file in backup_dir named
     * backup_YYYYMMDDTHHMMSSZ_DATABASE_HEADS.dump (.sql for plain), and
     * then backup_keep applies.
     */
    const char *out;
    um_backup_progress_cb progress_cb; /**< NULL: none */
    void *progress_payload;
} um_backup_options;

/** The version of um_backup_options this header describes.  @since 0.1 */
#define UM_BACKUP_OPTIONS_VERSION 1
/** The defaults of um_backup_options, for an initializer.  @since 0.1 */
#define UM_BACKUP_OPTIONS_INIT                                                                     \
    {                                                                                              \
        UM_BACKUP_OPTIONS_VERSION, UM_BACKUP_FORMAT_DEFAULT, NULL, NULL, NULL                      \
    }

/**
 * Fills @p opts with defaults.
 * @param opts     the options to fill
 * @param version  UM_BACKUP_OPTIONS_VERSION
 * @return UM_OK, or UM_EINVAL (NULL @p opts, unknown @p version).
 * @since 0.1
 */
UM_API int um_backup_options_init(um_backup_options *opts, unsigned int version);

/**
 * Backs up the handle's database with pg_dump, under the migration lock
 * (no revision runs while it is taken, so the heads it records are the
 * dump's).  The file is written under a temporary name, synced, checked,
 * renamed; then its manifest is written beside it, and with backup_keep
 * = N (and no @c out) the oldest backups beyond N in backup_dir are
 * deleted (never the new one, never a file without a manifest).
 * backup_dir unset means "backups" beside the configuration file.
 *
 * @param out   receives the new backup (free with um_backup_info_free());
 *              may be NULL.  Left NULL on failure.
 * @param ctx   an open handle
 * @param opts  NULL: the defaults
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_ECONNECT, UM_EAUTH,
 *         UM_ELOCKED, UM_ESQL, UM_EIO (the directory or the file cannot be
 *         made or written; @c out exists), UM_EBACKUP, UM_ECANCELLED.
 * @since 0.1
 */
UM_API int um_backup(um_backup_info **out, um_ctx *ctx, const um_backup_options *opts);

/**
 * Frees a backup that um_backup() or um_apply_options.backup_out gave.
 * @param backup  the backup, or NULL (no-op)
 * @since 0.1
 */
UM_API void um_backup_info_free(um_backup_info *backup);

/**
 * JSON text of a backup (docs/json.md, "Backup"): its manifest's fields
 * and its path.
 * @param backup  a backup
 * @return the text, freed with um_free(); NULL for a NULL @p backup, out of
 *         memory, or text JSON cannot carry.
 * @since 0.1
 */
UM_API char *um_backup_info_to_json(const um_backup_info *backup);

/**
 * The backups in backup_dir, read by um_backup_list().  Opaque; read it
 * through the accessors.  Self-contained: it may outlive the handle.
 * @since 0.1
 */
typedef struct um_backup_list_info um_backup_list_info;

/**
 * Lists the backups in backup_dir, newest first: every file with a
 * manifest beside it, and the files named backup_* and manifests that lack
 * their other half.  Each file's SHA-256 is computed again and compared
 * with its manifest (um_backup_info.check), so this reads every backup.
 * A missing backup_dir is an empty list.  It does not connect.
 * @param out  receives the list (free with um_backup_list_free()).
 * @return UM_OK, UM_EINVAL, UM_ENOMEM, UM_EIO (the directory cannot be read).
 * @since 0.1
 */
UM_API int um_backup_list(um_backup_list_info **out, um_ctx *ctx);

/**
 * Number of backups in a list.
 * @param list  a list, or NULL (0)
 * @return the count.
 * @since 0.1
 */
UM_API size_t um_backup_list_count(const um_backup_list_info *list);

/**
 * The @p i-th backup, newest first.
 * @param list  a list
 * @param i     0 to um_backup_list_count() - 1
 * @return the backup, owned by @p list; NULL when out of range.
 * @since 0.1
 */
UM_API const um_backup_info *um_backup_list_at(const um_backup_list_info *list, size_t i);

/**
 * JSON text of a list (docs/json.md, "Backup list").
 * @param list  a list
 * @return the text, freed with um_free(); NULL as um_backup_info_to_json().
 * @since 0.1
 */
UM_API char *um_backup_list_to_json(const um_backup_list_info *list);

/**
 * Frees a list.
 * @param list  a list, or NULL (no-op)
 * @since 0.1
 */
UM_API void um_backup_list_free(um_backup_list_info *list);

/**
 * What a restore is about to replace, for the confirmation callback; valid
 * only during the call.  Reached only by pointer: fields may be appended.
 * @since 0.1
 */
typedef struct um_restore_target {
    const char *database;         /**< the database the handle is connected to */
    const char *host;             /**< its server's host (or socket directory) */
    const char *port;             /**< and port */
    const char *path;             /**< the backup file */
    const um_backup_info *backup; /**< its manifest; NULL when it has none */
} um_restore_target;

/**
 * Confirmation callback of um_restore(): called once the backup has passed
 * its checks (for plain SQL with a manifest, its size: its SHA-256 is
 * checked as psql reads it) and the database is known, before anything
 * changes.  Return
 * 0 to go on; non-zero refuses, and um_restore() fails with UM_ECANCELLED.
 * It calls nothing on the handle but lookups, as the log callback (others
 * fail with UM_EINVAL).
 * @since 0.1
 */
typedef int (*um_restore_confirm_cb)(const um_restore_target *target, void *payload);

/** Options of um_restore().  @since 0.1 */
typedef struct um_restore_options {
    unsigned int version; /**< UM_RESTORE_OPTIONS_VERSION */
    /**
     * Non-zero: restore a backup that has no manifest, or whose size or
     * checksum does not match it, or whose manifest names another
     * database (a warning is logged, naming both).  0: refuse it.
     */
    int force;
    um_restore_confirm_cb confirm_cb; /**< NULL: no confirmation */
    void *confirm_payload;
    um_backup_progress_cb progress_cb; /**< NULL: none */
    void *progress_payload;
} um_restore_options;

/** The version of um_restore_options this header describes.  @since 0.1 */
#define UM_RESTORE_OPTIONS_VERSION 1
/** The defaults of um_restore_options, for an initializer.  @since 0.1 */
#define UM_RESTORE_OPTIONS_INIT                                                                    \
    {                                                                                              \
        UM_RESTORE_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL                                      \
    }

/**
 * Fills @p opts with defaults.
 * @param opts     the options to fill
 * @param version  UM_RESTORE_OPTIONS_VERSION
 * @return UM_OK, or UM_EINVAL (NULL @p opts, unknown @p version).
 * @since 0.1
 */
UM_API int um_restore_options_init(um_restore_options *opts, unsigned int version);

/**
 * What um_restore() did.  Reached only by pointer: fields may be appended.
 * Owned by the caller (um_restore_info_free()); it may outlive the handle.
 * @since 0.1
 */
typedef struct um_restore_info {
    const char *path;         /**< the backup restored */
    const char *database;     /**< the database restored into */
    um_backup_format format;  /**< how it was restored (pg_restore or psql) */
    const char *const *heads; /**< the version table's rows after the restore */
    size_t n_heads;
    int verified;       /**< the file matched its manifest (0: restored with force) */
    double duration_ms; /**< the whole call */
} um_restore_info;

/**
 * Restores a backup into the handle's database, replacing the objects the
 * backup holds (objects created since are left alone): an archive with
 * pg_restore --clean --if-exists --single-transaction --no-owner, plain
 * SQL with psql -v ON_ERROR_STOP=1 in one transaction, so that a failure
 * changes nothing.  First the file is checked against its manifest
 * (FILE.json: size and SHA-256), then the migration lock is taken and the
 * confirmation callback asked.  Plain SQL with a manifest is hashed while
 * psql reads it instead, and committed only when it matches (without
 * force; docs/backup.md).  Afterwards the heads are read from the
 * restored version table and the restore is recorded in the history (one
 * entry per head, direction "restore", the backup's SHA-256 as checksum;
 * the bookkeeping tables are created if the backup had none).
 *
 * @param out   receives what was done (free with um_restore_info_free());
 *              may be NULL.  Left NULL on failure.
 * @param ctx   an open handle; its database is the one replaced
 * @param path  the backup file
 * @param opts  NULL: the defaults (no confirmation, no force)
 * @return UM_OK, UM_EINVAL, UM_EVERSION, UM_ENOMEM, UM_EIO (the file cannot
 *         be read), UM_ECHECKSUM (no manifest, or a mismatch, without
 *         force), UM_ECONNECT, UM_EAUTH, UM_ELOCKED, UM_ESQL, UM_EBACKUP
 *         (pg_restore or psql failed; the database is as it was; or, without
 *         force, the backup is of another database), UM_ECONNLOST (the
 *         run's own session was lost while pg_restore or psql ran: it was
 *         stopped before it committed, the database is as it was),
 *         UM_ECANCELLED (refused by the callback, or cancelled).
 * @since 0.1
 */
UM_API int um_restore(um_restore_info **out, um_ctx *ctx, const char *path,
                      const um_restore_options *opts);

/**
 * JSON text of a restore (docs/json.md, "Restore").
 * @param restore  what um_restore() gave
 * @return the text, freed with um_free(); NULL as um_backup_info_to_json().
 * @since 0.1
 */
UM_API char *um_restore_info_to_json(const um_restore_info *restore);

/**
 * Frees what um_restore() gave.
 * @param restore  the result, or NULL (no-op)
 * @since 0.1
 */
UM_API void um_restore_info_free(um_restore_info *restore);

#ifdef __cplusplus
}
#endif

#endif /* ULTRAMIGRATE_H */
