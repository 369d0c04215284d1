/*
 * commands.c - what each command does, and the command table.
 *
 * A command that works on the engine is a body (struct cli_call in, a UM_*
 * code out) that cli_run_on_engine() calls between parsing the arguments and
 * closing the engine: it makes one or two API calls and prints.  Plain
 * text and --json go to stdout; logs, progress and errors to stderr.
 */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_CONFIG "ultramigrate.ini"

/* --wait SECONDS, in milliseconds, must fit um_wait_for_database()'s int. */
#define MAX_WAIT_SECONDS ((size_t)INT_MAX / 1000)

#define WAIT_OPTION_HELP                                                                           \
    "      --wait SECONDS       first wait up to SECONDS for the database to accept\n"             \
    "                           connections (a server still starting); default 0\n"

static const char wait_option[] = WAIT_OPTION_HELP;

static um_log_level log_level(const struct cli *cli)
{
    if (cli->verbosity == CLI_QUIET)
        return UM_LOG_ERROR;
    return cli->verbosity == CLI_VERBOSE ? UM_LOG_DEBUG : UM_LOG_INFO;
}

/* Opens the engine; on failure *out may still hold the handle and why. */
static int open_engine(struct cli *cli, um_ctx **out)
{
    um_open_options o;
    int rc = um_open_options_init(&o, UM_OPEN_OPTIONS_VERSION);

    if (rc != UM_OK)
        return rc;
    o.config_path = cli->config_path;
    o.database_url = cli->database_url;
    o.log_cb = cli_log;
    o.log_payload = cli;
    o.log_level = log_level(cli);
    o.connect_early = cli->connect_early;
    o.config_section = cli->section;
    return um_open(out, &o);
}

/* Prints the error if any, closes the engine, returns the exit status. */
static int finish(um_ctx *ctx, int rc)
{
    if (rc != UM_OK)
        cli_print_error(ctx, rc);
    um_close(ctx);
    return cli_exit_code(rc);
}

int cli_run_on_engine(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                      const struct engine_command *ec)
{
    struct cli_call call = { cli, cmd, NULL, NULL, 0, ec->state };
    int rc = cli_parse(cli, cmd, argc, argv, ec->opts, &call.args, &call.n_args);

    if (rc == CLI_CONTINUE && ec->check)
        rc = ec->check(&call);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &call.ctx);
    if (rc == UM_OK)
        rc = ec->body(&call);
    return finish(call.ctx, rc);
}

/* The handler of a command with no options of its own: its table entry's body. */
static int cmd_on_engine(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    const struct engine_command ec = { NULL, NULL, cmd->body, NULL };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* um_status_current_head_at or um_status_file_head_at */
typedef const char *(*head_at_fn)(const um_status_info *st, size_t i);

/* Whether @p id is one of the heads @p at lists. */
static int is_head_in(const um_status_info *st, head_at_fn at, const char *id)
{
    const char *head;

    for (size_t i = 0; (head = at(st, i)); i++)
        if (!strcmp(head, id))
            return 1;
    return 0;
}

static int is_file_head(const um_status_info *st, const char *id)
{
    return is_head_in(st, um_status_file_head_at, id);
}

/* "a, b", or @p none when there are no heads. */
static void print_heads_of(FILE *out, const um_status_info *st, head_at_fn at, const char *none)
{
    const char *id;
    size_t i;

    for (i = 0; (id = at(st, i)); i++)
        fprintf(out, "%s%s", i ? ", " : "", id);
    if (!i)
        fputs(none, out);
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* ---- JSON ---------------------------------------------------------------- */

/* A JSON array of the database's current heads; NULL if it cannot be built. */
static json_t *current_heads_array(const um_status_info *st)
{
    json_t *a = json_array();
    const char *id;

    for (size_t i = 0; a && (id = um_status_current_head_at(st, i)); i++)
        a = cli_json_append(a, json_string(id));
    return a;
}

/*
 * Milliseconds rounded to 3 decimals, the value "%.3f" prints: with
 * CLI_JSON_FLAGS the number shows as that text less its trailing zeros.
 */
static json_t *ms_value(double ms)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%.3f", ms);
    return json_real(strtod(buf, NULL));
}

/* The labels @p rev carries, inherited ones too: "branches" beside the
 * library's "branch_labels" (those it declares). */
static int add_branches(json_t *o, um_ctx *ctx, const um_revision *rev)
{
    const char *const *labels;
    size_t n;
    json_t *branches = json_array();
    int rc = um_revision_branch_labels(&labels, &n, ctx, rev);

    for (size_t i = 0; rc == UM_OK && branches && i < n; i++)
        branches = cli_json_append(branches, json_string(labels[i]));
    if (rc == UM_OK && (!branches || json_object_set_new(o, "branches", branches)))
        rc = UM_ENOMEM;
    else if (rc != UM_OK)
        json_decref(branches);
    return rc;
}

/* Appends @p rev, as um_revision_to_json() renders it with "branches", to
 * the array @p a. */
static int append_revision(json_t *a, um_ctx *ctx, const um_revision *rev)
{
    char *text = um_revision_to_json(rev);
    json_error_t e;
    json_t *o;
    int rc;

    if (!text)
        return UM_ENOMEM;
    o = json_loads(text, 0, &e);
    um_free(text);
    if (!o) {
        if (json_error_code(&e) == json_error_out_of_memory)
            return UM_ENOMEM;
        fprintf(stderr, "ultramigrate: revision %s: bad JSON rendering: %s\n", rev->id, e.text);
        return UM_ERROR;
    }
    rc = add_branches(o, ctx, rev);
    if (rc != UM_OK) {
        json_decref(o);
        return rc;
    }
    return json_array_append_new(a, o) ? UM_ENOMEM : UM_OK;
}

/*
 * The end of a listing that --json gathers in @p a (NULL: printed as text):
 * prints the array unless @p rc says the listing failed.
 */
static int print_json_array(json_t *a, int rc)
{
    if (!a)
        return rc;
    if (rc != UM_OK) {
        json_decref(a);
        return rc;
    }
    return cli_print_json_value(a);
}

/* --wait SECONDS of status and upgrade: their state is the size_t. */
static size_t wait_seconds(const struct cli_call *call)
{
    return *(const size_t *)call->state;
}

static int check_wait(const struct cli_call *call)
{
    if (wait_seconds(call) > MAX_WAIT_SECONDS)
        return cli_usage_error("%s: --wait: at most %zu seconds", call->cmd->name,
                               MAX_WAIT_SECONDS);
    return CLI_CONTINUE;
}

/* Whether status shows each applied row whole: its table (-v) and its
 * JSON document do; the rest of the CLI reads a summary (read_summary). */
static int status_shows_rows(const struct cli *cli)
{
    return cli->json || cli->verbosity == CLI_VERBOSE;
}

/* status: --wait, and the state asked for while the files are read is
 * the one status_body reads. */
static int check_status(const struct cli_call *call)
{
    call->cli->connect_early =
        status_shows_rows(call->cli) ? UM_CONNECT_EARLY_STATE : UM_CONNECT_EARLY_SUMMARY;
    return check_wait(call);
}

/* um_status() without who applied each revision, where, and how long it
 * took, which only status shows. */
static int read_summary(um_ctx *ctx, um_status_info **st)
{
    um_status_options o = UM_STATUS_OPTIONS_INIT;

    o.summary = 1;
    return um_status_v2(st, ctx, &o);
}

/* --wait: 0 does not wait; the command's first query then connects once. */
static int wait_for_database(um_ctx *ctx, size_t seconds)
{
    if (!seconds)
        return UM_OK;
    return um_wait_for_database(ctx, (int)(seconds * 1000));
}

/* ---- init --------------------------------------------------------------- */

static int url_given(const struct cli *cli)
{
    const char *a = getenv("ULTRAMIGRATE_DATABASE_URL");
    const char *b = getenv("DATABASE_URL");

    return cli->database_url || (a && *a) || (b && *b);
}

/*
 * Creates the bookkeeping tables.  A database that cannot be reached is a
 * failure only when a URL was given explicitly (-d or the environment); a
 * URL from the new configuration file is most likely still the template's.
 */
/* The script location the new configuration names (its versions
 * directory's parent), for init --json; NULL when out of memory. */
static char *location_of(const um_ctx *ctx)
{
    const char *versions = um_versions_dir(ctx);
    size_t len = versions ? strlen(versions) : 0;
    if (len > strlen("/versions") && strcmp(versions + len - strlen("/versions"), "/versions") == 0)
        len -= strlen("/versions");
    return versions ? strndup(versions, len) : NULL;
}

static int init_database(struct cli *cli, int *ready, char **location)
{
    um_ctx *ctx = NULL;
    int rc = open_engine(cli, &ctx);

    if (rc == UM_OK)
        *location = location_of(ctx);
    if (rc == UM_OK)
        rc = um_ensure_schema(ctx);
    *ready = rc == UM_OK;
    if (rc == UM_OK)
        cli_info(cli, "Bookkeeping tables are ready.");
    else if ((rc == UM_ECONNECT || rc == UM_EAUTH) && !url_given(cli)) {
        cli_info(cli,
                 "note: bookkeeping tables not created (they will be on "
                 "first use): %s",
                 um_errmsg(ctx));
        rc = UM_OK;
    }
    return finish(ctx, rc);
}

/* Whether @dir is a connection string typed where init's DIR belongs: a
 * URL, or a key=value string with a password (a directory may well be
 * called "passwords"). */
static int looks_like_conninfo(const char *dir)
{
    for (const char *p = strcasestr(dir, "password"); p; p = strcasestr(p + 1, "password")) {
        p += strlen("password");
        if (p[strspn(p, " \t")] == '=')
            return 1;
    }
    return strstr(dir, "://") != NULL;
}

static int cmd_init(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_project_init_options o = UM_PROJECT_INIT_OPTIONS_INIT;
    const char *config;
    char **args, *err = NULL, *location = NULL;
    int n, rc, ready = 0;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    /* it would be written into the config file and made a directory */
    if (n && looks_like_conninfo(args[0]))
        return cli_usage_error("init: DIR looks like a connection string (not shown); use -d URL"
                               " or DATABASE_URL for the database");
    config = cli->config_given ? cli->config_path : DEFAULT_CONFIG;
    o.config_path = config;
    o.script_location = n ? args[0] : NULL; /* NULL: the config's, else the default */
    o.log_cb = cli_log;
    o.log_payload = cli;
    rc = um_project_init(&err, &o);
    if (rc != UM_OK) {
        cli_print_scrubbed(stderr, "ultramigrate: %s\n", err ? err : um_strerror(rc));
        um_free(err);
        return cli_exit_code(rc);
    }
    cli->config_path = config;
    rc = init_database(cli, &ready, &location);
    if (rc != CLI_EXIT_OK) {
        free(location);
        return rc;
    }
    if (!ready)
        cli_info(cli, "Please edit the database settings in '%s' before proceeding.", config);
    if (cli->json) {
        /* the one given, else the one the configuration names */
        const char *shown = o.script_location ? o.script_location : location;
        rc = cli_print_json_value(json_pack("{s:s?, s:s?, s:b}", "config", config,
                                            "script_location", shown, "database_ready", ready));
        if (rc != UM_OK) {
            free(location);
            cli_print_error(NULL, rc);
            return cli_exit_code(rc);
        }
    }
    free(location);
    return CLI_EXIT_OK;
}

/* ---- status, current ----------------------------------------------------- */

/* Applied rows a run did not finish, and applied rows without a file. */
static int is_unfinished(const um_applied *a)
{
    return a->state && strcmp(a->state, "applied") != 0;
}

/* How the last run's failure ended: a transactional revision rolls back
 * whole; a "Transactional: no" one keeps the statements that succeeded,
 * and its row stays failed (listed under "Failed:", with the repair). */
static const char *last_failure_end(const um_status_info *st)
{
    const char *rev = um_status_last_failed(st);
    const um_applied *a;

    for (size_t i = 0; (a = um_status_applied_at(st, i)); i++)
        if (is_unfinished(a) && strcmp(a->revision, rev) == 0)
            return "part-way: what ran stays done; see 'ultramigrate repair'";
    return "rolled back; see 'ultramigrate history'";
}

static int print_problems(const um_status_info *st)
{
    struct cli_table t;
    const um_applied *a;
    int rc = cli_table_init(&t, 2);

    for (size_t i = 0; rc == UM_OK && (a = um_status_applied_at(st, i)); i++) {
        const char *what = is_unfinished(a)  ? NULL
                           : !a->known       ? "applied, but no revision file"
                           : !a->checksum_ok ? "file changed since it was applied"
                                             : NULL;

        if (what)
            rc = cli_table_add(&t, (const char *const[]){ a->revision, what });
    }
    if (rc == UM_OK && t.n_rows) {
        fputs("Problems:\n", stdout);
        cli_table_print(stdout, &t, "  ");
    }
    cli_table_free(&t);
    return rc;
}

/* "Failed: 1 revision" and "In progress: ..." with the way out of each. */
static void print_unfinished(const um_status_info *st, const char *state, const char *label)
{
    size_t n =
        um_status_count(st, strcmp(state, "failed") ? UM_STATUS_IN_PROGRESS : UM_STATUS_FAILED);
    const um_applied *a;

    if (!n)
        return;
    printf("%-15s%zu revision%s\n", label, n, plural(n));
    for (size_t i = 0; (a = um_status_applied_at(st, i)); i++) {
        if (!a->state || strcmp(a->state, state))
            continue;
        if (um_status_run_in_progress(st))
            printf("  %s  being applied by a run that holds the migration lock (%d statement%s"
                   " done so far)\n",
                   a->revision, a->statements_done, plural((size_t)a->statements_done));
        else
            printf("  %s  %d statement%s succeeded; after checking the database, record it with"
                   " 'ultramigrate repair %s --applied' or '--rolled-back'\n",
                   a->revision, a->statements_done, plural((size_t)a->statements_done),
                   a->revision);
    }
}

static int print_applied(const um_status_info *st)
{
    struct cli_table t;
    const um_applied *a;
    int rc = cli_table_init(&t, 6);

    t.right[2] = 1;
    t.color[4] = cli_state_color;
    for (size_t i = 0; rc == UM_OK && (a = um_status_applied_at(st, i)); i++) {
        char ms[32];
        snprintf(ms, sizeof(ms), "%.1f ms", a->duration_ms);
        rc = cli_table_add(&t,
                           (const char *const[]){ a->revision, a->applied_at, ms, a->applied_by,
                                                  is_unfinished(a) ? a->state : "", a->message });
    }
    if (rc == UM_OK) {
        fputs("Applied revisions:\n", stdout);
        cli_table_print(stdout, &t, "  ");
    }
    cli_table_free(&t);
    return rc;
}

/* The pending revisions, "  ID  message". */
static int print_pending(const um_status_info *st)
{
    struct cli_table t;
    const um_revision *rev;
    int rc = cli_table_init(&t, 2);

    for (size_t i = 0; rc == UM_OK && (rev = um_status_pending_at(st, i)); i++)
        rc = cli_table_add(&t, (const char *const[]){ rev->id, rev->message });
    if (rc == UM_OK)
        cli_table_print(stdout, &t, "  ");
    cli_table_free(&t);
    return rc;
}

/* Plain text on stdout; UM_OK or UM_ENOMEM. */
static int print_status(const struct cli *cli, const um_status_info *st)
{
    size_t n_applied = um_status_count(st, UM_STATUS_APPLIED);
    size_t n_pending = um_status_pending_count(st);
    size_t n_missing = um_status_count(st, UM_STATUS_MISSING);

    fputs("Current heads: ", stdout);
    print_heads_of(stdout, st, um_status_current_head_at, "(none: at base)");
    fputs("\nFile heads:    ", stdout);
    print_heads_of(stdout, st, um_status_file_head_at, "(no revisions)");
    printf("\nApplied:       %zu revision%s\n", n_applied, plural(n_applied));
    printf("Pending:       %zu revision%s\n", n_pending, plural(n_pending));
    int rc = print_pending(st);
    print_unfinished(st, "failed", "Failed:");
    print_unfinished(st, "in_progress", "In progress:");
    if (um_status_last_failed(st))
        printf("Last run:      failed at revision %s (%s)\n", um_status_last_failed(st),
               last_failure_end(st));
    if (n_missing)
        printf("Missing:       %zu revision%s applied, no file defines %s\n", n_missing,
               plural(n_missing), n_missing == 1 ? "it" : "them");
    if (rc == UM_OK)
        rc = print_problems(st);
    if (rc == UM_OK && cli->verbosity == CLI_VERBOSE && um_status_applied_count(st))
        rc = print_applied(st);
    return rc;
}

/*
 * status and current: their --wait (first, where wait_seconds() reads it)
 * and what the exit status says, as health's: a revision left failed or
 * in progress, or the last run failed, is "failed" (11); revisions in
 * progress that a run holding the lock is applying are "migrating" (23).
 */
struct status_run {
    size_t wait;
    int unfinished; /* CLI_EXIT_OK, CLI_EXIT_FAILED or CLI_EXIT_MIGRATING */
};

static void note_unfinished(const struct cli_call *call, const um_status_info *st)
{
    struct status_run *sr = call->state;

    if (um_status_run_in_progress(st))
        sr->unfinished = CLI_EXIT_MIGRATING;
    else if (um_status_count(st, UM_STATUS_FAILED) + um_status_count(st, UM_STATUS_IN_PROGRESS) ||
             um_status_last_failed(st))
        sr->unfinished = CLI_EXIT_FAILED;
}

static int status_exit(int status, const struct status_run *sr)
{
    return status == CLI_EXIT_OK && sr->unfinished ? sr->unfinished : status;
}

static int status_body(const struct cli_call *call)
{
    um_status_info *st = NULL;
    int rc;

    /* an interrupt cancels the wait and the query, as upgrade's */
    cli_interrupt_attach(call->ctx);
    rc = wait_for_database(call->ctx, wait_seconds(call));
    if (rc == UM_OK)
        rc =
            status_shows_rows(call->cli) ? um_status(&st, call->ctx) : read_summary(call->ctx, &st);
    cli_interrupt_attach(NULL);
    if (rc == UM_OK) {
        note_unfinished(call, st);
        rc = call->cli->json ? cli_print_json(um_status_to_json(st)) : print_status(call->cli, st);
    }
    um_status_free(st);
    return rc;
}

static int cmd_status(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct status_run sr = { 0, 0 };
    const struct cli_opt opts[] = { { "wait", 0, CLI_NUMBER, &sr.wait },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_status, status_body, &sr };

    return status_exit(cli_run_on_engine(cli, cmd, argc, argv, &ec), &sr);
}

/* [{"revision":...,"state":...,"statements_done":N}] of the rows a run
 * did not finish; NULL if it cannot be built. */
static json_t *unfinished_array(const um_status_info *st)
{
    json_t *a = json_array();
    const um_applied *u;

    for (size_t i = 0; a && (u = um_status_applied_at(st, i)); i++)
        if (is_unfinished(u))
            a = cli_json_append(a, json_pack("{s:s, s:s, s:i}", "revision", u->revision, "state",
                                             u->state, "statements_done", u->statements_done));
    return a;
}

/*
 * {"current":[{"revision":...,"is_head":...,"message":...,"path":...}],
 *  "unfinished":[...]}, field names as um_revision_to_json().  The library
 * has no renderer for it.
 */
static int print_current_json(um_ctx *ctx, const um_status_info *st)
{
    json_t *current = json_array();
    const char *id;

    for (size_t i = 0; current && (id = um_status_current_head_at(st, i)); i++) {
        const um_revision *rev = NULL;

        if (um_revision_lookup(&rev, ctx, id) != UM_OK || strcmp(rev->id, id))
            rev = NULL;
        current = cli_json_append(current, json_pack("{s:s, s:b, s:s?, s:s?}", "revision", id,
                                                     "is_head", is_file_head(st, id), "message",
                                                     rev ? rev->message : NULL, "path",
                                                     rev ? rev->path : NULL));
    }
    /* "o" takes the arrays, and a NULL one fails the pack */
    return cli_print_json_value(
        json_pack("{s:o, s:o}", "current", current, "unfinished", unfinished_array(st)));
}

/* Plain text on stdout; UM_OK.  A revision a run did not finish follows
 * the heads, with its state; a last run that failed is said on stderr. */
static int print_current(const struct cli *cli, um_ctx *ctx, const um_status_info *st)
{
    const char *id;
    const um_applied *a;

    if (!um_status_current_head_count(st))
        cli_info(cli, "The database is at base: no revision applied.");
    for (size_t i = 0; (id = um_status_current_head_at(st, i)); i++) {
        const um_revision *rev = NULL;

        if (um_revision_lookup(&rev, ctx, id) != UM_OK || strcmp(rev->id, id))
            rev = NULL;
        if (cli->verbosity == CLI_VERBOSE && rev) {
            cli_print_revision_block(stdout, ctx, rev, 0);
            fputc('\n', stdout);
        } else {
            printf("%s%s\n", id, rev ? cli_head_mark(rev) : " (no revision file)");
        }
    }
    for (size_t i = 0; (a = um_status_applied_at(st, i)); i++)
        if (is_unfinished(a) && um_status_run_in_progress(st))
            printf("%s (being applied: %d statement%s done so far)\n", a->revision,
                   a->statements_done, plural((size_t)a->statements_done));
        else if (is_unfinished(a))
            printf("%s (%s: %d statement%s succeeded; see 'ultramigrate repair')\n", a->revision,
                   a->state, a->statements_done, plural((size_t)a->statements_done));
    /* on stderr: stdout lists what the database is at */
    if (um_status_last_failed(st))
        cli_info(cli, "The last run failed at revision %s (%s).", um_status_last_failed(st),
                 last_failure_end(st));
    return UM_OK;
}

static int current_body(const struct cli_call *call)
{
    um_status_info *st = NULL;
    int rc = read_summary(call->ctx, &st);

    if (rc == UM_OK) {
        note_unfinished(call, st);
        rc = call->cli->json ? print_current_json(call->ctx, st)
                             : print_current(call->cli, call->ctx, st);
    }
    um_status_free(st);
    return rc;
}

static int cmd_current(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct status_run sr = { 0, 0 };
    const struct engine_command ec = { NULL, NULL, current_body, &sr };

    return status_exit(cli_run_on_engine(cli, cmd, argc, argv, &ec), &sr);
}

/* ---- health ------------------------------------------------------------- */

/* "a, b (and 3 more)": the snapshot keeps the first UM_HEALTH_MAX_HEADS. */
static void print_health_heads(const char *label, const char (*ids)[UM_HEALTH_ID_SIZE], size_t n,
                               const char *none)
{
    size_t kept = n < UM_HEALTH_MAX_HEADS ? n : UM_HEALTH_MAX_HEADS;

    fputs(label, stdout);
    if (!n)
        fputs(none, stdout);
    for (size_t i = 0; i < kept; i++)
        printf("%s%s", i ? ", " : "", ids[i]);
    if (n > kept)
        printf(" (and %zu more)", n - kept);
    fputc('\n', stdout);
}

/* libpq's messages span lines ("\n\tIs the server running..."). */
static void print_one_line(const char *s)
{
    int space = 0;

    for (; *s; s++) {
        if (*s == '\n' || *s == '\t' || *s == '\r') {
            space = 1;
            continue;
        }
        if (space)
            fputc(' ', stdout);
        space = 0;
        fputc(*s, stdout);
    }
    fputc('\n', stdout);
}

/* Plain text on stdout; UM_OK. */
static int print_health(const um_health *h)
{
    int reached = h->status != UM_HEALTH_UNREACHABLE;

    printf("Status:         %s\n", um_health_status_name(h->status));
    if (reached)
        print_health_heads("Current heads:  ", h->current_heads, h->n_current_heads,
                           "(none: at base)");
    else
        fputs("Current heads:  (unknown)\n", stdout);
    print_health_heads("Expected heads: ", h->expected_heads, h->n_expected_heads,
                       "(no revisions)");
    if (reached)
        printf("Pending:        %zu revision%s\n", h->pending, plural(h->pending));
    if (reached && h->last_applied[0])
        printf("Last applied:   %s at %s\n", h->last_applied,
               h->last_applied_at[0] ? h->last_applied_at : "(unknown time)");
    else if (reached)
        fputs("Last applied:   (none)\n", stdout);
    if (reached)
        printf("Round trip:     %.1f ms\n", h->round_trip_ms);
    fputs("Message:        ", stdout);
    print_one_line(h->message);
    return UM_OK;
}

/* The health command's snapshot, and whether it was taken. */
struct health_run {
    um_health h;
    int taken;
};

static int health_body(const struct cli_call *call)
{
    struct health_run *hr = call->state;
    int rc = um_health_snapshot(&hr->h, call->ctx);

    hr->taken = rc == UM_OK;
    if (rc == UM_OK)
        rc = call->cli->json ? cli_print_json(um_health_to_json(&hr->h)) : print_health(&hr->h);
    return rc;
}

/*
 * The exit status is the snapshot's (0, 10-15, 23), so that the command serves
 * as a container probe; an unreachable database is a status, not an error.
 * Errors before the snapshot (configuration, revision files) keep their
 * usual codes.
 */
static int cmd_health(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct health_run hr = { UM_HEALTH_INIT, 0 };
    const struct engine_command ec = { NULL, NULL, health_body, &hr };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    if (status == cli_exit_code(UM_ECONNECT) || status == cli_exit_code(UM_ECONNLOST))
        return CLI_EXIT_UNREACHABLE;
    return status == CLI_EXIT_OK && hr.taken ? cli_health_exit_code(hr.h.status) : status;
}

/* ---- history, heads, show ---------------------------------------------- */

/* One history entry as the columns of its row. */
static int add_history_row(struct cli_table *t, const struct cli *cli, const um_history_entry *e)
{
    char ms[32], more[512] = "";

    snprintf(ms, sizeof(ms), "%.1f ms", e->duration_ms);
    if (cli->verbosity == CLI_VERBOSE)
        snprintf(more, sizeof(more), "host=%s application=%s version=%s", e->host ? e->host : "",
                 e->application_name ? e->application_name : "",
                 e->tool_version ? e->tool_version : "");
    return cli_table_add(t, (const char *const[]){ e->started_at, e->direction, e->revision,
                                                   e->state, ms, e->applied_by, more });
}

/* Plain text on stdout, one aligned row per entry; UM_OK or UM_ENOMEM. */
static int print_history(const struct cli *cli, const um_history_list *h)
{
    struct cli_table t;
    const um_history_entry *e;
    int rc = cli_table_init(&t, 7);

    t.right[4] = 1;
    t.color[3] = cli_state_color;
    for (size_t i = 0; rc == UM_OK && (e = um_history_at(h, i)); i++)
        rc = add_history_row(&t, cli, e);
    for (size_t i = 0; rc == UM_OK && (e = um_history_at(h, i)); i++) {
        cli_table_print_row(stdout, &t, i, "");
        /* on an entry that succeeded, what a repair decided or where an
         * adopted revision came from; else why the step failed */
        if (e->error) {
            printf("    %s: ", e->state && !strcmp(e->state, "ok") ? "note" : "error");
            cli_print_text(stdout, e->error);
            putchar('\n');
        }
    }
    cli_table_free(&t);
    return rc;
}

/*
 * Shows @p rev, the @p shown-th revision of a listing: into the array @p a
 * with --json, else as a block (-v) or a line with @p flags (enum
 * cli_line) and its id padded to @p id_width.
 */
static int list_revision(const struct cli *cli, um_ctx *ctx, json_t *a, const um_revision *rev,
                         size_t shown, int flags, int id_width)
{
    if (a)
        return append_revision(a, ctx, rev);
    if (cli->verbosity == CLI_VERBOSE) {
        printf("%s", shown ? "\n" : "");
        cli_print_revision_block(stdout, ctx, rev, flags & CLI_LINE_CURRENT);
    } else {
        cli_print_revision_line(stdout, ctx, rev, flags, id_width);
    }
    return UM_OK;
}

/* history's options */
struct history_state {
    size_t limit;
    int revisions;
    const char *range; /* -r LOWER:UPPER */
    int indicate;      /* -i */
    char *lower, *upper;
};

static int check_history(const struct cli_call *call)
{
    struct history_state *hs = call->state;
    const char *colon = hs->range ? strchr(hs->range, ':') : NULL;

    if (hs->range && (!colon || strchr(colon + 1, ':')))
        return cli_usage_error("history: -r takes a range: [START]:[END], START: or :END"
                               " (START and END are targets, base, heads or current)");
    if (!hs->range)
        return CLI_CONTINUE;
    hs->lower = strndup(hs->range, (size_t)(colon - hs->range));
    hs->upper = strdup(colon + 1);
    if (!hs->lower || !hs->upper) {
        fputs("ultramigrate: out of memory\n", stderr);
        return CLI_EXIT_ERROR;
    }
    return CLI_CONTINUE;
}

/* Marks the last object of @p a with "is_current" (history -i --json). */
static int mark_current_json(json_t *a, int current)
{
    json_t *o = json_array_get(a, json_array_size(a) - 1);

    return o && json_object_set_new(o, "is_current", json_boolean(current)) == 0 ? UM_OK
                                                                                 : UM_ENOMEM;
}

/*
 * Alembic's "history": the revision files of the range (all of them
 * without -r), newest first; -i marks the database's heads "(current)".
 */
static int print_revisions(const struct cli *cli, um_ctx *ctx, const struct history_state *hs,
                           const um_revision_list *range, const um_status_info *st)
{
    size_t count = um_revision_list_count(range), shown = 0;
    json_t *a = NULL;
    int rc = UM_OK;

    if (cli->json && !(a = json_array()))
        return UM_ENOMEM;
    for (size_t i = count; rc == UM_OK && i-- > 0 && (!hs->limit || shown < hs->limit); shown++) {
        const um_revision *rev = um_revision_list_at(range, i);
        int current = hs->indicate && is_head_in(st, um_status_current_head_at, rev->id);
        rc = list_revision(
            cli, ctx, a, rev, shown,
            CLI_LINE_PARENTS | CLI_LINE_DOC | CLI_LINE_TREE | (current ? CLI_LINE_CURRENT : 0), 0);
        if (rc == UM_OK && a && hs->indicate)
            rc = mark_current_json(a, current);
    }
    return print_json_array(a, rc);
}

static int history_revisions(const struct cli_call *call, const struct history_state *hs)
{
    um_revision_list *range = NULL;
    um_status_info *st = NULL;
    int rc = um_revision_range(&range, call->ctx, hs->lower, hs->upper);

    if (rc == UM_OK && hs->indicate)
        rc = read_summary(call->ctx, &st);
    if (rc == UM_OK)
        rc = print_revisions(call->cli, call->ctx, hs, range, st);
    um_status_free(st);
    um_revision_list_free(range);
    return rc;
}

static int history_body(const struct cli_call *call)
{
    const struct history_state *hs = call->state;
    um_history_list *h = NULL;
    int rc;

    if (hs->revisions || hs->range || hs->indicate)
        return history_revisions(call, hs);
    rc = um_history(&h, call->ctx, hs->limit);
    if (rc == UM_OK)
        rc = call->cli->json ? cli_print_json(um_history_to_json(h)) : print_history(call->cli, h);
    um_history_free(h);
    return rc;
}

static int cmd_history(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct history_state hs = { 0, 0, NULL, 0, NULL, NULL };
    const struct cli_opt opts[] = { { "limit", 'n', CLI_NUMBER, &hs.limit },
                                    { "revisions", 0, CLI_FLAG, &hs.revisions },
                                    { "rev-range", 'r', CLI_STRING, &hs.range },
                                    { "indicate-current", 'i', CLI_FLAG, &hs.indicate },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_history, history_body, &hs };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    free(hs.lower);
    free(hs.upper);
    return status;
}

/*
 * Alembic's "heads": the revisions no revision revises; with
 * --resolve-dependencies only those no revision depends on either (an
 * "effective head" another branch needs is not a head of the whole).  In
 * file-name order, as Alembic lists them.
 */
static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* File-name order, the order of Alembic's revision map. */
static int by_file_name(const void *pa, const void *pb)
{
    const um_revision *a = *(const um_revision *const *)pa, *b = *(const um_revision *const *)pb;
    int c = strcmp(file_name(a->path), file_name(b->path));

    return c ? c : strcmp(a->path, b->path);
}

static int heads_body(const struct cli_call *call)
{
    int resolve = *(const int *)call->state;
    size_t n = um_revision_count(call->ctx), n_heads = 0;
    const um_revision **heads = calloc(n ? n : 1, sizeof(*heads)), *rev;
    int id_width = 0; /* the longest id, so that the marks line up */
    json_t *a = NULL;
    int rc = heads ? UM_OK : UM_ENOMEM;

    if (rc == UM_OK && call->cli->json && !(a = json_array()))
        rc = UM_ENOMEM;
    for (size_t i = 0; rc == UM_OK && (rev = um_revision_at(call->ctx, i)); i++)
        if (rev->is_head && !(resolve && rev->has_dependents))
            heads[n_heads++] = rev;
    if (rc == UM_OK)
        qsort(heads, n_heads, sizeof(*heads), by_file_name);
    for (size_t k = 0; rc == UM_OK && k < n_heads; k++)
        if (strlen(heads[k]->id) > (size_t)id_width)
            id_width = (int)strlen(heads[k]->id);
    for (size_t k = 0; rc == UM_OK && k < n_heads; k++)
        rc = list_revision(call->cli, call->ctx, a, heads[k], k, 0, id_width);
    free(heads);
    return print_json_array(a, rc);
}

static int cmd_heads(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    int resolve = 0;
    const struct cli_opt opts[] = { { "resolve-dependencies", 0, CLI_FLAG, &resolve },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, NULL, heads_body, &resolve };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* ---- branches ------------------------------------------------------------ */

static int is_child_of(const um_revision *r, const um_revision *parent)
{
    for (size_t j = 0; j < r->n_parents; j++)
        if (!strcmp(r->parents[j], parent->id))
            return 1;
    return 0;
}

/* {"revision": {...}, "children": [{...}, ...]} for a branch point. */
static int append_branch_point(json_t *a, um_ctx *ctx, const um_revision *bp)
{
    json_t *one = json_array(), *children = json_array();
    const um_revision *r;
    int rc = one && children ? append_revision(one, ctx, bp) : UM_ENOMEM;

    for (size_t i = 0; rc == UM_OK && (r = um_revision_at(ctx, i)); i++)
        if (is_child_of(r, bp))
            rc = append_revision(children, ctx, r);
    if (rc == UM_OK &&
        json_array_append_new(
            a, json_pack("{s:O, s:O}", "revision", json_array_get(one, 0), "children", children)))
        rc = UM_ENOMEM;
    json_decref(one);
    json_decref(children);
    return rc;
}

/*
 * Alembic's "branches": each branch point, then its children indented
 * under it ("   -> a1 (audit)"), a blank line after each.
 */
static void print_branch_point(const struct cli *cli, um_ctx *ctx, const um_revision *bp)
{
    int verbose = cli->verbosity == CLI_VERBOSE;
    const um_revision *r;

    if (verbose)
        cli_print_revision_block(stdout, ctx, bp, 0);
    else
        cli_print_revision_line(stdout, ctx, bp, CLI_LINE_TREE, 0);
    for (size_t i = 0; (r = um_revision_at(ctx, i)); i++) {
        if (!is_child_of(r, bp))
            continue;
        printf("%*s -> ", (int)strlen(bp->id), "");
        cli_print_revision_line(stdout, ctx, r, CLI_LINE_TREE | (verbose ? CLI_LINE_DOC : 0), 0);
    }
    fputc('\n', stdout);
}

/* Newest first, as history lists them. */
static int branches_body(const struct cli_call *call)
{
    um_ctx *ctx = call->ctx;
    json_t *a = NULL;
    int rc = UM_OK;

    if (call->cli->json && !(a = json_array()))
        return UM_ENOMEM;
    for (size_t i = um_revision_count(ctx); rc == UM_OK && i-- > 0;) {
        const um_revision *bp = um_revision_at(ctx, i);
        if (!bp->is_branch_point)
            continue;
        if (a)
            rc = append_branch_point(a, ctx, bp);
        else
            print_branch_point(call->cli, ctx, bp);
    }
    return print_json_array(a, rc);
}

/* Targets that name any number of revisions: show lists them. */
static int names_several(const char *target)
{
    size_t n = strlen(target);

    return !strcmp(target, "current") || !strcmp(target, "heads") || !strcmp(target, "base") ||
           (n > 6 && !strcmp(target + n - 6, "@heads"));
}

/* show current|heads|base|LABEL@heads: each revision, an array with --json. */
static int show_several(const struct cli_call *call)
{
    um_revision_list *list = NULL;
    const um_revision *rev;
    json_t *a = NULL;
    int rc = um_revision_resolve(&list, call->ctx, call->args[0]);

    if (rc == UM_OK && call->cli->json && !(a = json_array()))
        rc = UM_ENOMEM;
    for (size_t i = 0; rc == UM_OK && (rev = um_revision_list_at(list, i)); i++) {
        if (a) {
            rc = append_revision(a, call->ctx, rev);
            continue;
        }
        printf("%s", i ? "\n" : "");
        cli_print_revision_block(stdout, call->ctx, rev, 0);
    }
    um_revision_list_free(list);
    return print_json_array(a, rc);
}

static int show_body(const struct cli_call *call)
{
    const um_revision *rev = NULL;
    int rc;

    if (names_several(call->args[0]))
        return show_several(call);
    rc = um_revision_lookup(&rev, call->ctx, call->args[0]);

    if (rc == UM_OK && call->cli->json)
        rc = cli_print_json(um_revision_to_json(rev));
    else if (rc == UM_OK)
        cli_print_revision_block(stdout, call->ctx, rev, 0);
    return rc;
}

/* ---- generate, merge ----------------------------------------------------- */

/*
 * "Generating PATH ... done", then what lint_on_upgrade finds in the file
 * (stderr); --json: {"path": PATH, "lint": LINT-DOCUMENT|null}.  UM_ELINT
 * after printing, when lint_on_upgrade = error and it found an error.
 */
static int print_generated(const struct cli_call *call, char *path)
{
    const struct cli *cli = call->cli;
    json_t *lint = NULL;
    int rc;

    if (!cli->json && cli->verbosity != CLI_QUIET)
        printf("Generating %s ... done\n", path ? path : "");
    fflush(stdout);
    rc = cli_lint_generated(call, path, cli->json ? &lint : NULL);
    if (cli->json && (rc == UM_OK || rc == UM_ELINT)) {
        int printed = cli_print_json_value(json_pack("{s:s?, s:o}", "path", path, "lint", lint));
        rc = printed != UM_OK ? printed : rc;
    }
    um_free(path);
    return rc;
}

/* generate's options */
struct generate_state {
    um_generate_options g;
    struct cli_list depends;
    struct cli_list labels;
};

/* The message comes once: as -m or as the argument. */
static int check_message(const struct cli_call *call)
{
    struct generate_state *gs = call->state;
    const char *name = call->cmd->name;

    if (call->n_args && gs->g.message)
        return cli_usage_error("%s: give the message once, as -m or as an argument", name);
    if (!call->n_args && !gs->g.message)
        return cli_usage_error("%s: missing message", name);
    if (call->n_args)
        gs->g.message = call->args[0];
    gs->g.depends_on = gs->depends.items;
    gs->g.n_depends_on = gs->depends.n;
    gs->g.branch_labels = gs->labels.items;
    gs->g.n_branch_labels = gs->labels.n;
    return CLI_CONTINUE;
}

static int generate_body(const struct cli_call *call)
{
    const struct generate_state *gs = call->state;
    char *path = NULL;
    int rc = um_generate(&path, call->ctx, &gs->g);

    return rc == UM_OK ? print_generated(call, path) : rc;
}

static int cmd_generate(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct generate_state gs = { UM_GENERATE_OPTIONS_INIT, { NULL, 0 }, { NULL, 0 } };
    const struct cli_opt opts[] = { { "message", 'm', CLI_STRING, &gs.g.message },
                                    { "head", 0, CLI_STRING, &gs.g.head },
                                    { "splice", 0, CLI_FLAG, &gs.g.splice },
                                    { "rev-id", 0, CLI_STRING, &gs.g.rev_id },
                                    { "depends-on", 0, CLI_LIST, &gs.depends },
                                    { "branch-label", 0, CLI_LIST, &gs.labels },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_message, generate_body, &gs };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    free(gs.depends.items);
    free(gs.labels.items);
    return status;
}

/* "merge heads" is "merge": every head. */
static int merge_body(const struct cli_call *call)
{
    um_merge_options m = *(const um_merge_options *)call->state;
    int n = call->n_args == 1 && !strcmp(call->args[0], "heads") ? 0 : call->n_args;
    char *path = NULL;
    int rc;

    m.revs = n ? (const char *const *)call->args : NULL;
    m.n_revs = (size_t)n;
    rc = um_merge(&path, call->ctx, &m);
    return rc == UM_OK ? print_generated(call, path) : rc;
}

static int cmd_merge(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_merge_options m = UM_MERGE_OPTIONS_INIT;
    const struct cli_opt opts[] = { { "message", 'm', CLI_STRING, &m.message },
                                    { "rev-id", 0, CLI_STRING, &m.rev_id },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, NULL, merge_body, &m };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* ---- upgrade, downgrade, stamp ----------------------------------------- */

/* {"target":...,"current":[...]|null[,"steps":[...],"elapsed_ms":...,
 * "backup":PATH|null]} */
static int print_run_json(const char *target, const um_status_info *st,
                          const struct cli_progress *p, const um_backup_info *backup,
                          double elapsed)
{
    json_t *doc = json_pack("{s:s?, s:o}", "target", target, "current",
                            st ? current_heads_array(st) : json_null());
    json_t *steps;

    if (!doc || !p)
        return cli_print_json_value(doc);
    steps = json_array();
    for (size_t i = 0; steps && i < p->done; i++)
        steps = cli_json_append(steps, json_pack("{s:s, s:o}", "revision", p->revisions[i],
                                                 "duration_ms", ms_value(p->durations[i])));
    /* set_new takes the value and fails on NULL */
    if (json_object_set_new(doc, "steps", steps) ||
        json_object_set_new(doc, "elapsed_ms", ms_value(elapsed)) ||
        json_object_set_new(doc, "backup", cli_backup_json(backup))) {
        json_decref(doc);
        doc = NULL;
    }
    return cli_print_json_value(doc);
}

/* Whether naming the revisions reached says all that @p target said:
 * "heads", one of them, or "base" with nothing applied. */
static int target_is_reached(const char *target, const um_status_info *st)
{
    if (!strcmp(target, "heads") || !strcmp(target, "head"))
        return 1;
    if (!strcmp(target, "base"))
        return um_status_current_head_at(st, 0) == NULL;
    return is_head_in(st, um_status_current_head_at, target);
}

/*
 * Where a run or a stamp left the database, "3f1c9a2b7d10" or "base" (no
 * revision applied), and what was typed when it is not the same words
 * ("-1", a branch label): "9b0e4d55c2aa (target -1".  Without a status
 * (it could not be read) only the target.  Leaves the parenthesis open.
 */
static void print_reached(FILE *out, const char *target, const um_status_info *st)
{
    if (!st) {
        fprintf(out, "%s (", target);
        return;
    }
    print_heads_of(out, st, um_status_current_head_at, "base");
    if (target_is_reached(target, st))
        fputs(" (", out);
    else
        fprintf(out, " (target %s; ", target);
}

/* "Upgraded to 3f1c9a2b7d10 (2 revisions applied, 41 ms)",
 * "Downgraded to 9b0e4d55c2aa (target -1; 1 revision reverted, 12 ms)" */
static void print_run_summary(const struct cli *cli, um_direction dir, const char *target,
                              const um_status_info *st, size_t steps, double elapsed)
{
    if (cli->verbosity == CLI_QUIET)
        return;
    if (!steps) {
        fputs("Already at target; nothing to do\n", stderr);
        return;
    }
    fputs(dir == UM_UP ? "Upgraded to " : "Downgraded to ", stderr);
    print_reached(stderr, target, st);
    fprintf(stderr, "%zu revision%s %s, %.0f ms)\n", steps, plural(steps),
            dir == UM_UP ? "applied" : "reverted", elapsed);
}

/* Where a finished run left the database: stderr, and stdout with --json. */
static int report_run(const struct cli *cli, um_ctx *ctx, um_direction dir, const char *target,
                      const struct cli_progress *p, const um_backup_info *backup, double elapsed)
{
    um_status_info *st = NULL;
    int rc = UM_OK;

    /* only to say where the run ended: a failure here is not the run's, and
     * leaves st NULL */
    read_summary(ctx, &st);
    print_run_summary(cli, dir, target, st, p->done, elapsed);
    if (cli->json)
        rc = print_run_json(target, st, p, backup, elapsed);
    um_status_free(st);
    return rc;
}

/*
 * upgrade and downgrade: a signal cancels the run; progress on stderr.
 * An upgrade backs up first as the configuration says, unless --no-backup.
 */
static int run(const struct cli_call *call, um_direction dir, size_t wait, int no_backup)
{
    const char *target = call->n_args ? call->args[0] : "heads";
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    struct cli_progress p = { call->cli, call->ctx, 0, NULL, NULL, 0, 0 };
    um_backup_info *backup = NULL;
    double start;
    int rc;

    o.progress_cb = cli_progress;
    o.progress_payload = &p;
    o.backup = no_backup ? UM_BACKUP_SKIP : UM_BACKUP_AS_CONFIGURED;
    o.backup_out = &backup;
    cli_interrupt_attach(call->ctx);
    rc = wait_for_database(call->ctx, wait);
    if (rc == UM_OK && cli_interrupted())
        rc = UM_ECANCELLED;
    start = now_ms();
    cli_progress_line_start(call->cli);
    if (rc == UM_OK)
        rc = dir == UM_UP ? um_upgrade(call->ctx, target, &o) : um_rollback(call->ctx, target, &o);
    cli_progress_line_stop();
    if (rc == UM_OK)
        rc = report_run(call->cli, call->ctx, dir, target, &p, backup, now_ms() - start);
    else if (p.committed)
        cli_info(call->cli, "%zu revision%s %s before the run stopped.", p.committed,
                 plural(p.committed), dir == UM_UP ? "applied" : "reverted");
    else if (p.done)
        cli_info(call->cli,
                 "Nothing was %s: the run was one transaction"
                 " (transaction_per_migration = false) and it was rolled back.",
                 dir == UM_UP ? "applied" : "reverted");
    cli_progress_free(&p);
    um_backup_info_free(backup);
    cli_interrupt_attach(NULL); /* before the engine closes */
    return rc;
}

/* upgrade's options: wait first, where wait_seconds() reads it */
struct upgrade_state {
    size_t wait;
    int no_backup;
    struct cli_preview pv;
};

/* The run, its script (--sql) or its dry run (--dry-run). */
static int run_or_preview(const struct cli_call *call, um_direction dir,
                          const struct cli_preview *pv, size_t wait, int no_backup)
{
    const char *target = call->n_args ? call->args[0] : "heads";

    if (pv->sql)
        return cli_render_sql(call, dir, target, pv->from);
    if (pv->dry_run)
        return cli_dry_run(call, dir, target);
    return run(call, dir, wait, no_backup);
}

static int check_upgrade(const struct cli_call *call)
{
    const struct upgrade_state *us = call->state;
    int rc = check_wait(call);

    return rc == CLI_CONTINUE ? cli_check_preview(call, &us->pv) : rc;
}

static int upgrade_body(const struct cli_call *call)
{
    const struct upgrade_state *us = call->state;

    return run_or_preview(call, UM_UP, &us->pv, us->wait, us->no_backup);
}

static int cmd_upgrade(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct upgrade_state us = { 0, 0, { 0, 0, NULL } };
    const struct cli_opt opts[] = {
        { "wait", 0, CLI_NUMBER, &us.wait },        { "no-backup", 0, CLI_FLAG, &us.no_backup },
        { "sql", 0, CLI_FLAG, &us.pv.sql },         { "from", 0, CLI_STRING, &us.pv.from },
        { "dry-run", 0, CLI_FLAG, &us.pv.dry_run }, { NULL, 0, CLI_FLAG, NULL }
    };
    const struct engine_command ec = { opts, check_upgrade, upgrade_body, &us };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

static int check_downgrade(const struct cli_call *call)
{
    return cli_check_preview(call, call->state);
}

static int downgrade_body(const struct cli_call *call)
{
    return run_or_preview(call, UM_DOWN, call->state, 0, 0);
}

static int cmd_downgrade(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_preview pv = { 0, 0, NULL };
    const struct cli_opt opts[] = { { "sql", 0, CLI_FLAG, &pv.sql },
                                    { "from", 0, CLI_STRING, &pv.from },
                                    { "dry-run", 0, CLI_FLAG, &pv.dry_run },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_downgrade, downgrade_body, &pv };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* "a, b" of the revisions stamped; NULL when out of memory. */
static char *joined(char *const *v, int n)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 2;
    if (!(s = calloc(1, len)))
        return NULL;
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, v[i]);
    }
    return s;
}

/* "Stamped the database at 3f1c9a2b7d10 (target heads; nothing was run)" */
static void print_stamped(const struct cli *cli, const char *target, const um_status_info *st)
{
    if (cli->verbosity == CLI_QUIET)
        return;
    fputs("Stamped the database at ", stderr);
    print_reached(stderr, target, st);
    fputs("no revision was run)\n", stderr);
}

/* stamp REV... [--purge]: Alembic's stamp, several heads at once. */
static int stamp_body(const struct cli_call *call)
{
    um_stamp_options o = UM_STAMP_OPTIONS_INIT;
    um_status_info *st = NULL;
    char *target = joined(call->args, call->n_args);
    int rc = target ? UM_OK : UM_ENOMEM;

    o.revisions = (const char *const *)call->args;
    o.n_revisions = (size_t)call->n_args;
    o.purge = *(const int *)call->state;
    if (rc == UM_OK)
        rc = um_stamp_v2(call->ctx, &o);
    if (rc == UM_OK) {
        read_summary(call->ctx, &st); /* as in report_run() */
        print_stamped(call->cli, target, st);
        if (call->cli->json)
            rc = print_run_json(target, st, NULL, NULL, 0.0);
    }
    um_status_free(st);
    free(target);
    return rc;
}

static int cmd_stamp(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    int purge = 0;
    const struct cli_opt opts[] = { { "purge", 0, CLI_FLAG, &purge }, { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, NULL, stamp_body, &purge };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* ---- lint --------------------------------------------------------------- */

/* lint's option, and what it found */
struct lint_state {
    int all;
    size_t errors, warnings;
    int linted;
};

static int check_lint(const struct cli_call *call)
{
    const struct lint_state *ls = call->state;

    if (ls->all && call->n_args)
        return cli_usage_error("lint: give FILE arguments or --all, not both");
    return CLI_CONTINUE;
}

/* The files named, or --all: what um_lint is asked to read. */
static um_lint_options lint_request(const struct cli_call *call)
{
    const struct lint_state *ls = call->state;
    um_lint_options o = UM_LINT_OPTIONS_INIT;

    o.paths = (const char *const *)call->args;
    o.n_paths = (size_t)call->n_args;
    o.all = ls->all;
    return o;
}

static int lint_body(const struct cli_call *call)
{
    struct lint_state *ls = call->state;
    const um_lint_options o = lint_request(call);
    um_lint_result *r = NULL;
    int rc = um_lint(&r, call->ctx, &o);

    if (rc != UM_OK)
        return rc;
    ls->errors = um_lint_error_count(r);
    ls->warnings = um_lint_warning_count(r);
    ls->linted = 1;
    if (call->cli->json)
        rc = cli_print_json(um_lint_to_json(r));
    else
        cli_print_lint_findings(stdout, r, 0);
    um_lint_free(r);
    if (rc == UM_OK)
        cli_info(call->cli, "%zu error%s, %zu warning%s", ls->errors, plural(ls->errors),
                 ls->warnings, plural(ls->warnings));
    return rc;
}

/*
 * The exit status says what lint found (0, 16, 17), so that CI can tell
 * warnings from errors; failing to lint keeps the usual codes.
 */
static int cmd_lint(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct lint_state ls = { 0, 0, 0, 0 };
    const struct cli_opt opts[] = { { "all", 0, CLI_FLAG, &ls.all }, { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_lint, lint_body, &ls };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    if (status != CLI_EXIT_OK || !ls.linted)
        return status;
    return ls.errors ? CLI_EXIT_LINT_ERRORS : ls.warnings ? CLI_EXIT_LINT_WARNINGS : CLI_EXIT_OK;
}

/* ---- help --------------------------------------------------------------- */

static int cmd_help(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    const struct cli_command *topic;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    if (!n) {
        cli_print_help(stdout);
        return CLI_EXIT_OK;
    }
    topic = cli_command_find(args[0]);
    cli_usage_context(NULL); /* an unknown command: the list of commands */
    if (!topic)
        return cli_usage_error("unknown command '%s'", args[0]);
    cli_print_command_help(stdout, topic);
    return CLI_EXIT_OK;
}

/* ---- the table ---------------------------------------------------------- */

static const char init_options[] =
    "  DIR                      the migrations directory (default: the config\n"
    "                           file's script_location, else migrations)\n";

static const char history_options[] =
    "  -n, --limit N            only the last N entries (--revisions: newest N)\n"
    "      --revisions          list the revision files instead, as Alembic's\n"
    "                           history (newest first)\n"
    "  -r, --rev-range START:END\n"
    "                           only the revision files from START to END (either\n"
    "                           may be left out: base, heads); START may be -N,\n"
    "                           either may be current (the database's heads)\n"
    "  -i, --indicate-current   mark the database's heads \"(current)\"\n"
    "                           (-r and -i list the revision files)\n";

static const char heads_options[] =
    "      --resolve-dependencies\n"
    "                           leave out the heads another revision depends on\n"
    "                           (Alembic's \"effective heads\")\n";

static const char stamp_options[] =
    "  REV...                   the new heads: each replaces the current heads of\n"
    "                           its branch (base: every head; LABEL@base: the\n"
    "                           heads of LABEL's branch); other branches stay;\n"
    "                           not a relative step (-1, +1), as Alembic's stamp\n"
    "      --purge              empty the version table first, so that REVs are\n"
    "                           the whole state (also when it holds revisions\n"
    "                           that no file defines)\n";

static const char generate_options[] =
    "  -m, --message MESSAGE    the message (instead of the MESSAGE argument)\n"
    "      --head REV           branch from REV instead of the current head\n"
    "      --splice             allow --head to name a revision that is not a head\n"
    "      --rev-id ID          the new revision's id (default: 12 random hex digits)\n"
    "      --depends-on REV     a dependency on another branch (repeatable)\n"
    "      --branch-label LABEL a name for the new revision's branch, for targets\n"
    "                           such as LABEL@head (repeatable)\n"
    "  The written file is linted as lint_on_upgrade says (exit 17 on an error\n"
    "  finding with lint_on_upgrade = error; the file stays written).\n";

static const char lint_options[] =
    "  FILE...                  lint these files (revision files or plain SQL)\n"
    "      --all                lint every revision file (default: the revisions\n"
    "                           an upgrade to heads would apply)\n";

static const char upgrade_options[] = WAIT_OPTION_HELP
    "      --no-backup          do not back up first, whatever backup_before_upgrade\n"
    "                           says\n" CLI_PREVIEW_OPTIONS_HELP;

static const char merge_options[] =
    "  -m, --message MESSAGE    the merge revision's message (default: merge)\n"
    "      --rev-id ID          the new revision's id (default: 12 random hex digits)\n";

/*
 * One command a row: name, handler (or the body cmd_on_engine runs), the
 * synopsis and summary of --help, then what differs from the defaults (no
 * options, no positional argument, listed, reads the files before it
 * connects).  Laid out by hand: a row reads better whole than one field a
 * line.
 */
/* clang-format off */
static const struct cli_command commands[] = {
    { .name = "init", .run = cmd_init, .args = "[DIR]",
      .summary = "Create the project files and the bookkeeping tables.",
      .options = init_options, .max_args = 1 },
    { .name = "status", .run = cmd_status, .args = "",
      .summary = "Show current and file heads, pending revisions.",
      .options = wait_option, .database = UM_CONNECT_EARLY_STATE },
    { .name = "health", .run = cmd_health, .args = "",
      .summary = "Show the migration state; exit 0, 10-15 or 23 (probes).", .database = UM_CONNECT_EARLY },
    { .name = "current", .run = cmd_current, .args = "",
      .summary = "Show the revisions the database is at.", .database = UM_CONNECT_EARLY_SUMMARY },
    { .name = "history", .run = cmd_history, .args = "",
      .summary = "Show the log of applied steps (or the revision files).",
      .options = history_options, .database = UM_CONNECT_EARLY },
    { .name = "heads", .run = cmd_heads, .args = "",
      .summary = "Show the heads of the revision files.", .options = heads_options },
    { .name = "branches", .run = cmd_on_engine, .body = branches_body, .args = "",
      .summary = "Show the branch points of the revision files." },
    { .name = "show", .run = cmd_on_engine, .body = show_body, .args = "REV",
      .summary = "Show one revision: parents, path and header.",
      .min_args = 1, .max_args = 1, .targets = 1 },
    { .name = "generate", .run = cmd_generate, .args = "MESSAGE",
      .summary = "Write a new revision file (alias: revision -m MSG).",
      .options = generate_options, .max_args = 1 },
    { .name = "revision", .run = cmd_generate, .args = "-m MESSAGE",
      .summary = "Write a new revision file (alias of generate).",
      .options = generate_options, .max_args = 1, .hidden = 1 },
    { .name = "auto", .run = cli_cmd_auto, .args = "MESSAGE",
      .summary = "Write a revision from the schema file's difference; 22: none.",
      .options = cli_auto_options, .max_args = 1, .database = UM_CONNECT_EARLY },
    { .name = "merge", .run = cmd_merge, .args = "[REV...] [-m MESSAGE]",
      .summary = "Write a revision merging REVs (default: all heads).",
      .options = merge_options, .max_args = -1 },
    { .name = "upgrade", .run = cmd_upgrade, .args = "[TARGET]",
      .summary = "Apply the revisions up to TARGET (default: heads).",
      .options = upgrade_options, .max_args = 1, .targets = 1, .database = UM_CONNECT_EARLY },
    { .name = "downgrade", .run = cmd_downgrade, .args = "TARGET",
      .summary = "Revert the applied revisions above TARGET.", .options = cli_preview_options,
      .min_args = 1, .max_args = 1, .targets = 1, .database = UM_CONNECT_EARLY },
    { .name = "stamp", .run = cmd_stamp, .args = "REV...",
      .summary = "Set the database's state to REVs without running SQL.",
      .options = stamp_options,
      .min_args = 1, .max_args = -1, .targets = 1, .database = UM_CONNECT_EARLY },
    { .name = "backup", .run = cli_cmd_backup, .args = "[--out FILE] [--format F] [--list]",
      .summary = "Back the database up with pg_dump, or list the backups.",
      .options = cli_backup_options, .database = UM_CONNECT_EARLY },
    { .name = "repair", .run = cli_cmd_repair,
      .args = "REV --applied | REV --rolled-back | --checksums",
      .summary = "Record a half-done revision's outcome, or edited files' checksums.",
      .options = cli_repair_options, .max_args = 1, .database = UM_CONNECT_EARLY },
    { .name = "restore", .run = cli_cmd_restore, .args = "FILE [--into URL] [--yes] [--force]",
      .summary = "Replace the database's contents with a backup.",
      .options = cli_restore_options, .min_args = 1, .max_args = 1, .database = UM_CONNECT_EARLY },
    { .name = "lint", .run = cmd_lint, .args = "[FILE...] [--all]",
      .summary = "Report dangerous SQL in revisions; exit 0, 16 or 17.",
      .options = lint_options, .max_args = -1 },
    { .name = "verify", .run = cli_cmd_verify,
      .args = "[--offline] [--allow-multiple-heads] [--roundtrip URL] [--drift]",
      .summary = "Check the revision files and the database; exit 0, 9 or 14.",
      .options = cli_verify_options, .database = UM_CONNECT_EARLY },
    { .name = "check", .run = cli_cmd_check, .args = "[--fail-on-pending] [--allow-multiple-heads] [--drift]",
      .summary = "The CI gate: verify and pending revisions; exit 0, 9, 10 or 14.",
      .options = cli_check_options, .database = UM_CONNECT_EARLY },
    { .name = "import-alembic", .run = cli_cmd_import_alembic, .args = "[ALEMBIC_INI]",
      .summary = "Write an Alembic project's revisions as revision files.",
      .options = cli_import_alembic_options, .max_args = 1 },
    { .name = "help", .run = cmd_help, .args = "[COMMAND]",
      .summary = "Show the help of ultramigrate or of COMMAND.", .max_args = 1 },
};
/* clang-format on */

const struct cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

const struct cli_command *cli_command_at(size_t i)
{
    return i < sizeof(commands) / sizeof(commands[0]) ? &commands[i] : NULL;
}
