/*
 * cli.h - declarations shared by the files of the ultramigrate command.
 *
 * The CLI is built on the public API alone: it parses arguments, calls the
 * engine and prints.  main.c parses and dispatches, commands.c holds one
 * function per command and the command table, output.c the printing helpers
 * and the callbacks the engine calls (log, progress).
 */
#ifndef CLI_H
#define CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <ultramigrate/ultramigrate.h>

/* Exit status; documented in --help, ultramigrate(1) and docs/cli.md. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,     /* other error */
    CLI_EXIT_USAGE = 2,     /* bad command line */
    CLI_EXIT_CONFIG = 3,    /* configuration */
    CLI_EXIT_REVISIONS = 4, /* revision files or graph */
    CLI_EXIT_TARGET = 5,    /* target unknown, unreachable or irreversible */
    CLI_EXIT_CONNECT = 6,   /* cannot connect */
    CLI_EXIT_LOCKED = 7,    /* migration lock held */
    CLI_EXIT_MIGRATION = 8, /* a revision failed or the run was cancelled */
    CLI_EXIT_STATE = 9,     /* database state or verification */
    /* health: one code per snapshot status, for container probes */
    CLI_EXIT_PENDING = 10,     /* revisions not applied yet */
    CLI_EXIT_FAILED = 11,      /* a revision failed or is in progress (health: with no run on it) */
    CLI_EXIT_AHEAD = 12,       /* the database has revisions the files lack */
    CLI_EXIT_DIVERGED = 13,    /* an applied revision's file changed */
    CLI_EXIT_UNREACHABLE = 14, /* the database cannot be reached */
    CLI_EXIT_CANCELLED = 15,   /* the last run was cancelled, revisions remain */
    /* lint: what it found */
    CLI_EXIT_LINT_WARNINGS = 16, /* warnings, no error */
    CLI_EXIT_LINT_ERRORS = 17,   /* at least one error */
    CLI_EXIT_BACKUP = 18,        /* a backup or restore failed (upgrade: nothing migrated) */
    CLI_EXIT_CONNLOST = 19,      /* the connection was lost during the run */
    CLI_EXIT_BOOKKEEPING = 20,   /* the bookkeeping tables cannot be used by this role */
    CLI_EXIT_POOLER = 21,        /* lock_mode = advisory through a transaction pooler */
    CLI_EXIT_NO_CHANGES = 22,    /* auto: no difference, no file written */
    CLI_EXIT_MIGRATING = 23      /* health: a run is applying revisions right now */
};

/* Returned by cli_parse() when the command should go on. */
#define CLI_CONTINUE (-1)

enum cli_verbosity { CLI_QUIET = -1, CLI_NORMAL = 0, CLI_VERBOSE = 1 };

/* The global options. */
struct cli {
    const char *config_path; /* -c, or ./ultramigrate.ini if it exists, else NULL */
    int config_given;        /* -c was given */
    const char *section;     /* -n: the config file's section to read, or NULL */
    char *database_url;      /* a copy of -d (its argument is masked), or NULL */
    int json;
    int verbosity;     /* enum cli_verbosity */
    char **argv_copy;  /* owned by cli_parse(), freed by main() */
    int connect_early; /* set by cli_parse() from the command */
    int show_version;  /* --version was given */
};

struct cli_command;
typedef int (*cli_handler)(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);

/* A command's call once its arguments are parsed (commands.c). */
struct cli_call {
    struct cli *cli;
    const struct cli_command *cmd;
    um_ctx *ctx; /* the open engine; NULL before it opens */
    char **args; /* the positional arguments */
    int n_args;
    void *state; /* the command's option values, or NULL */
};

/* What a command does on the open engine: UM_OK or a UM_E* code, which
 * the caller prints and turns into the exit status. */
typedef int (*cli_body)(const struct cli_call *call);

/* One entry of the command table. */
struct cli_command {
    const char *name;
    cli_handler run;
    cli_body body;       /* for a run that needs only the engine, or NULL */
    const char *args;    /* synopsis after the name, e.g. "[TARGET]" */
    const char *summary; /* one line */
    const char *options; /* the command's own options, preformatted, or NULL */
    int min_args;
    int max_args; /* -1: no limit */
    int targets;  /* positional arguments may look like "-1" */
    int hidden;   /* an alias: not listed in --help */
    int database; /* needs the database at once: connect while the
                     revision files are read (UM_CONNECT_EARLY); with
                     UM_CONNECT_EARLY_STATE, ask for the migration state
                     then too: its first statement reads it */
};

/*
 * How a command runs on the engine: cli_parse() with the global options and
 * opts, then check (NULL: none; CLI_CONTINUE or an exit status, before any
 * file is read), then the engine opens for body, its error is printed and
 * the engine closed.  state holds the option values cli_parse() fills.
 */
struct engine_command {
    const struct cli_opt *opts;
    int (*check)(const struct cli_call *call);
    cli_body body;
    void *state;
};

/* commands.c */
int cli_run_on_engine(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                      const struct engine_command *ec);
const struct cli_command *cli_command_find(const char *name);
const struct cli_command *cli_command_at(size_t i); /* NULL past the end */

/* main.c: parsing a command's own arguments. */
enum cli_opt_type {
    CLI_FLAG,   /* int *: set to 1 */
    CLI_STRING, /* const char **: the argument */
    CLI_LIST,   /* struct cli_list *: appended; the option may repeat */
    CLI_NUMBER  /* size_t *: a non-negative decimal */
};

struct cli_list {
    const char **items; /* point into argv; free the array with free() */
    size_t n;
};

struct cli_opt {
    const char *name; /* long name; NULL ends the table */
    int short_name;   /* 0: long only */
    enum cli_opt_type type;
    void *value;
};

/*
 * Parses a command's arguments (argv[0] is the command's name): the global
 * options, which may follow the command too, and @p opts (NULL or ended by a
 * zeroed entry).  Checks the number of positional arguments against the
 * table.  Returns CLI_CONTINUE with the positional arguments in *args and
 * *n_args, or the exit status to end with (0 after --help).
 */
int cli_parse(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
              const struct cli_opt *opts, char ***args, int *n_args);

void cli_print_help(FILE *out);
void cli_print_command_help(FILE *out, const struct cli_command *cmd);

/* Prints "ultramigrate: MESSAGE" and the usage hint ("Try 'ultramigrate
 * CMD --help'." within a command, see cli_usage_context); returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The command usage errors point at from now on; NULL: the global help. */
void cli_usage_context(const struct cli_command *cmd);

/* version.c: --version, and the server's when it answers in time. */
int cli_print_version(const struct cli *cli);

/* alembic.c: import-alembic */
int cli_cmd_import_alembic(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
extern const char cli_import_alembic_options[];

/* auto.c: auto MESSAGE */
int cli_cmd_auto(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
extern const char cli_auto_options[];

/* backup.c: backup [--list], restore, and upgrade's "backup" in --json
 * (the path, or null when none was taken). */
int cli_cmd_backup(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_restore(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
extern const char cli_backup_options[];
extern const char cli_restore_options[];
json_t *cli_backup_json(const um_backup_info *backup);

/* repair.c: repair REV --applied|--rolled-back, repair --checksums */
int cli_cmd_repair(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
extern const char cli_repair_options[];

/* preview.c: upgrade and downgrade --sql, --from, --dry-run. */
struct cli_preview {
    int sql;
    int dry_run;
    const char *from; /* --from: "a,b" or "base"; NULL: read the database */
};
#define CLI_PREVIEW_OPTIONS_HELP                                                                   \
    "      --sql                print the SQL script the run would send (for\n"                    \
    "                           psql -v ON_ERROR_STOP=1 -f), change nothing\n"                     \
    "      --from REV[,REV]     with --sql: the database's heads (base: empty),\n"                 \
    "                           instead of reading them; no connection at all\n"                   \
    "      --dry-run            run the transactional revisions in one transaction\n"              \
    "                           that is rolled back; print each one's result,\n"                   \
    "                           duration and AccessExclusiveLocks; exit 8 when\n"                  \
    "                           one fails\n"
extern const char cli_preview_options[];

/* Refuses what does not go together (CLI_CONTINUE or the exit status);
 * with --from, the engine will not connect early. */
int cli_check_preview(const struct cli_call *call, const struct cli_preview *pv);

/* Prints the script of the run to @target (stdout). */
int cli_render_sql(const struct cli_call *call, um_direction dir, const char *target,
                   const char *from);

/* Runs the dry run to @target and prints what it did (stdout, --json). */
int cli_dry_run(const struct cli_call *call, um_direction dir, const char *target);

/* verify.c: verify and check (the CI gate); their exit status says what
 * was found (docs/cli.md). */
int cli_cmd_verify(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_check(struct cli *cli, const struct cli_command *cmd, int argc, char **argv);
extern const char cli_verify_options[];
extern const char cli_check_options[];

/* secret.c: whether @s may hold a connection secret (a URL, a password
 * key), so that a message must not quote it; and the in-place masking of
 * every password in @arg, so that `ps` does not show it. */
int cli_looks_secret(const char *s);
void cli_scrub_password(char *arg);
/* A copy of @text with every password masked (NULL: @text is NULL or no
 * memory), and printf to @out the same way.  What the CLI prints may quote
 * an argument where the user misplaced a URL (`-c URL`, `lint URL`,
 * `--wait URL`): everything it writes to stderr goes through these. */
char *cli_scrubbed(const char *text);
void cli_vprint_scrubbed(FILE *out, const char *fmt, va_list ap);
void cli_print_scrubbed(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* output.c: errors, logging, progress. */
int cli_exit_code(int rc);

/* The exit status of a health snapshot's status (0, 10-15, 23). */
int cli_health_exit_code(um_health_status status);

/*
 * Prints the error @p rc on stderr: the handle's message and its DETAIL,
 * HINT and SQLSTATE when the handle holds that error, um_strerror(rc)
 * otherwise.  @p ctx may be NULL.
 */
void cli_print_error(const um_ctx *ctx, int rc);

/* Log callback; the payload is the struct cli. */
void cli_log(um_log_level level, const char *msg, void *payload);

/* A message at info level (shown unless -q); stderr. */
void cli_info(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the progress callback gathers during an upgrade or downgrade. */
struct cli_progress {
    const struct cli *cli;
    um_ctx *ctx;
    size_t done;       /* steps finished */
    char **revisions;  /* ids of the finished steps, in order */
    double *durations; /* ms, parallel to revisions */
    int failed_alloc;
    size_t committed; /* steps finished and committed (not inside one run-wide transaction) */
};

/* Progress callback; the payload is a struct cli_progress. */
int cli_progress(const um_step_info *step, void *payload);
void cli_progress_free(struct cli_progress *p);

/*
 * With a handle: SIGINT, SIGTERM and SIGHUP call um_cancel(ctx), which cancels the
 * running statement and stops the run, and restore the default action so
 * that a second signal kills.  With NULL: the default action again; call it
 * before um_close().
 */
void cli_interrupt_attach(um_ctx *ctx);

/* Whether a signal arrived since cli_interrupt_attach(). */
int cli_interrupted(void);

/*
 * output.c: JSON.  Every document is built with Jansson and dumped as the
 * library's renderers do; reals (milliseconds, rounded to 3 decimals by
 * the caller) print with at most 15 significant digits, so 41.123 shows as
 * 41.123.
 */
#define CLI_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/*
 * Prints @p value and a newline on stdout and releases it (json_decref).
 * NULL (a document that could not be built) and a failed dump are
 * UM_ENOMEM; nothing is printed then.
 */
int cli_print_json_value(json_t *value);

/*
 * Appends @p value to the array @p a, taking it; on failure (or a NULL
 * either) releases @p a and returns NULL, so that a document missing a
 * piece is never printed.
 */
json_t *cli_json_append(json_t *a, json_t *value);

/* Prints @p json (from a um_*_to_json renderer) and a newline, and frees it. */
int cli_print_json(char *json);

/* fputs(@p s, stdout), remembering why the first write that failed did: 0
 * or -1. */
int cli_put_stdout(const char *s);

/* fflush(stdout), as cli_put_stdout(): 0, or -1 when any write failed. */
int cli_flush_stdout(void);

/*
 * At exit: standard output is buffered, so a write that failed (a full
 * disk) may show only at the last flush.  Output cut short is a failure,
 * so that `upgrade --sql > FILE` never exits 0 with half a script in
 * FILE: says why on stderr and turns a success @p rc into
 * CLI_EXIT_ERROR; else @p rc.
 */
int cli_finish_stdout(int rc);

/* output.c: lint findings. */

/* Compiler-style, one line a finding: "file:line:col: severity: message
 * [rule]"; @errors_only leaves the warnings out (-q). */
void cli_print_lint_findings(FILE *out, const um_lint_result *r, int errors_only);

/*
 * generate, merge and auto: lints the file @path they just wrote as
 * lint_on_upgrade asks (um_lint_generated()) and prints the findings on
 * stderr, or with @json (--json) puts the lint document (json null when
 * lint_on_upgrade = off) in *@json for the command's own document.
 * Returns UM_ELINT (lint_on_upgrade = error and an error finding) once the
 * findings are out, so that the command exits 17 with the file written.
 */
int cli_lint_generated(const struct cli_call *call, const char *path, json_t **json);

/* output.c: revisions as Alembic shows them. */

/* What Alembic's one-line form of a revision (Script._head_only) holds
 * besides "ID (labels) (head)". */
enum cli_line {
    CLI_LINE_PARENTS = 1, /* "PARENTS (DEPENDS) -> " first */
    CLI_LINE_DOC = 2,     /* ", message" last */
    CLI_LINE_TREE = 4,    /* " (branchpoint)", " (mergepoint)" */
    CLI_LINE_CURRENT = 8  /* " (current)": the database is at it */
};

/* "a, b" of the parents, or "<base>". */
void cli_print_parents(FILE *out, const um_revision *rev);

/* Prints @s (NULL: nothing), a revision's message or path: on a terminal
 * each control character is shown as \xHH, so that a revision file cannot
 * move the cursor, recolour or retitle the user's terminal. */
void cli_print_text(FILE *out, const char *s);

/* " (head)", " (effective head)" (a head another revision depends on:
 * Alembic's is_head without _is_real_head) or "", as Alembic's one-line
 * form (_head_only) marks a revision. */
const char *cli_head_mark(const um_revision *rev);

/* The one-line form: "ID (labels) (head)" and what @flags (enum cli_line)
 * add, as history, heads and branches print it; the id padded to
 * @id_width (0: not padded) so that the marks of a list line up. */
void cli_print_revision_line(FILE *out, um_ctx *ctx, const um_revision *rev, int flags,
                             int id_width);

/* The block of "show" and -v (Alembic's log_entry): Rev:, Parent:,
 * Also depends on:, Branches into:, Branch names:, Path:, message and
 * header.  @flags: CLI_LINE_CURRENT or 0. */
void cli_print_revision_block(FILE *out, um_ctx *ctx, const um_revision *rev, int flags);

/*
 * output.c: colour.  Only on a terminal, never when NO_COLOR is set to
 * anything but "" (no-color.org) or TERM is "dumb".  @sgr is an SGR
 * parameter string such as CLI_RED; NULL: no colour.
 */
#define CLI_RED      "31"
#define CLI_GREEN    "32"
#define CLI_YELLOW   "33"
#define CLI_BOLD_RED "1;31"
int cli_color_enabled(FILE *out);
void cli_color_begin(FILE *out, const char *sgr);
void cli_color_end(FILE *out, const char *sgr);

/* The colour of a run's or a revision's state ("ok", "failed",
 * "in_progress", ...), or NULL. */
const char *cli_state_color(const char *state);

/*
 * table.c: rows of text printed as aligned columns.  Fill with
 * cli_table_add(), then print once; cells are copied.  Set right[c] for a
 * column of numbers and color[c] for one whose colour depends on its text.
 */
struct cli_table {
    size_t n_cols, n_rows;
    char ***rows;
    size_t *width;
    int *right;
    const char *(**color)(const char *text);
};
int cli_table_init(struct cli_table *t, size_t n_cols);
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(FILE *out, const struct cli_table *t, const char *indent);
/* Row @r alone, for a caller that prints more lines under some rows. */
void cli_table_print_row(FILE *out, const struct cli_table *t, size_t r, const char *indent);
void cli_table_free(struct cli_table *t);

/*
 * progress_line.c: "[3/10] REVISION  12.4 s" at the foot of a terminal,
 * redrawn by a thread while an upgrade or downgrade has lasted more than
 * a second.  Anything else printed to stderr meanwhile goes between
 * cli_stderr_begin() and cli_stderr_end().
 */
void cli_progress_line_start(const struct cli *cli);
void cli_progress_line_step(size_t index, size_t total, const char *revision);
void cli_progress_line_stop(void);
/* Whether a progress line may be shown: stderr a terminal, TERM not
 * "dumb", not --quiet. */
int cli_progress_line_wanted(const struct cli *cli);
/* Draws @text as the foot line in place of the one shown (backup and
 * restore draw theirs from their progress callback); the next
 * cli_stderr_begin() wipes it. */
void cli_progress_line_show(const char *text);
/* Wipes the foot line, if one is on the screen. */
void cli_progress_line_wipe(void);
void cli_stderr_begin(void);
void cli_stderr_end(void);

#endif
