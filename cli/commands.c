/*
 * commands.c - one function per command, and the command table.
 *
 * Each command parses its arguments with cli_parse(), opens the engine,
 * makes one or two API calls and prints.  Plain text and --json go to
 * stdout; logs, progress and errors to stderr.
 */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CONFIG "ultramigrate.ini"

/* --wait SECONDS, in milliseconds, must fit um_wait_for_database()'s int. */
#define MAX_WAIT_SECONDS ((size_t)INT_MAX / 1000)

static const char wait_option[] =
    "      --wait SECONDS       first wait up to SECONDS for the database to accept\n"
    "                           connections (a server still starting); default 0\n";

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

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int is_file_head(const um_status_info *st, const char *id)
{
    for (size_t i = 0; i < st->n_file_heads; i++)
        if (!strcmp(st->file_heads[i], id))
            return 1;
    return 0;
}

static void print_ids(FILE *out, char *const *v, size_t n, const char *none)
{
    if (!n)
        fputs(none, out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? ", " : "", v[i]);
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* ---- JSON ---------------------------------------------------------------- */

/* A JSON array of the strings; NULL if it cannot be built. */
static json_t *string_array(char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            a = NULL;
        }
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

/* Appends @p rev, as um_revision_to_json() renders it, to the array @p a. */
static int append_revision(json_t *a, const um_revision *rev)
{
    char *text = um_revision_to_json(rev);
    json_error_t e;
    json_t *o;

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
    return json_array_append_new(a, o) ? UM_ENOMEM : UM_OK;
}

static int check_wait(const struct cli_command *cmd, size_t seconds)
{
    if (seconds > MAX_WAIT_SECONDS)
        return cli_usage_error("%s: --wait: at most %zu seconds", cmd->name, MAX_WAIT_SECONDS);
    return CLI_CONTINUE;
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
static int init_database(struct cli *cli, int *ready)
{
    um_ctx *ctx = NULL;
    int rc = open_engine(cli, &ctx);

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

static int cmd_init(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    const char *config, *dir = NULL; /* NULL: the config's, else the default */
    char **args, *err = NULL;
    int n, rc, ready = 0;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    config = cli->config_given ? cli->config_path : DEFAULT_CONFIG;
    if (n)
        dir = args[0];
    rc = um_project_init(config, dir, cli_log, cli, &err);
    if (rc != UM_OK) {
        fprintf(stderr, "ultramigrate: %s\n", err ? err : um_strerror(rc));
        um_free(err);
        return cli_exit_code(rc);
    }
    cli->config_path = config;
    rc = init_database(cli, &ready);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!ready)
        cli_info(cli, "Please edit the database settings in '%s' before proceeding.", config);
    if (cli->json) {
        rc = cli_print_json_value(json_pack("{s:s?, s:s?, s:b}", "config", config,
                                            "script_location", dir, "database_ready", ready));
        if (rc != UM_OK) {
            cli_print_error(NULL, rc);
            return cli_exit_code(rc);
        }
    }
    return CLI_EXIT_OK;
}

/* ---- status, current ----------------------------------------------------- */

static void print_problems(const um_status_info *st)
{
    size_t shown = 0;

    for (size_t i = 0; i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];
        const char *what = !a->known         ? "applied, but no revision file"
                           : !a->checksum_ok ? "file changed since it was applied"
                           : a->state && strcmp(a->state, "applied") ? a->state
                                                                     : NULL;

        if (!what)
            continue;
        if (!shown++)
            fputs("Problems:\n", stdout);
        printf("  %s  %s\n", a->revision, what);
    }
}

static void print_applied(const um_status_info *st)
{
    fputs("Applied revisions:\n", stdout);
    for (size_t i = 0; i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];

        printf("  %s  %s  %.1f ms  %s  %s\n", a->revision, a->applied_at ? a->applied_at : "",
               a->duration_ms, a->applied_by ? a->applied_by : "", a->message ? a->message : "");
    }
}

static void print_status(const struct cli *cli, const um_status_info *st)
{
    fputs("Current heads: ", stdout);
    print_ids(stdout, st->current_heads, st->n_current_heads, "(none: at base)");
    fputs("\nFile heads:    ", stdout);
    print_ids(stdout, st->file_heads, st->n_file_heads, "(no revisions)");
    printf("\nApplied:       %zu revision%s\n", st->n_applied, plural(st->n_applied));
    printf("Pending:       %zu revision%s\n", st->n_pending, plural(st->n_pending));
    for (size_t i = 0; i < st->n_pending; i++)
        printf("  %s  %s\n", st->pending[i]->id,
               st->pending[i]->message ? st->pending[i]->message : "");
    print_problems(st);
    if (cli->verbosity == CLI_VERBOSE && st->n_applied)
        print_applied(st);
}

static int cmd_status(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    size_t wait = 0;
    const struct cli_opt opts[] = { { "wait", 0, CLI_NUMBER, &wait }, { NULL, 0, CLI_FLAG, NULL } };
    um_ctx *ctx = NULL;
    um_status_info *st = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, opts, &args, &n);
    if (rc == CLI_CONTINUE)
        rc = check_wait(cmd, wait);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = wait_for_database(ctx, wait);
    if (rc == UM_OK)
        rc = um_status(ctx, &st);
    if (rc == UM_OK && cli->json)
        rc = cli_print_json(um_status_to_json(st));
    else if (rc == UM_OK)
        print_status(cli, st);
    um_status_free(st);
    return finish(ctx, rc);
}

/*
 * {"current":[{"revision":...,"is_head":...,"message":...,"path":...}]},
 * field names as um_revision_to_json().  The library has no renderer for it.
 */
static int print_current_json(um_ctx *ctx, const um_status_info *st)
{
    json_t *current = json_array();

    for (size_t i = 0; current && i < st->n_current_heads; i++) {
        const um_revision *rev = NULL;
        const char *id = st->current_heads[i];

        if (um_revision_lookup(ctx, id, &rev) != UM_OK || strcmp(rev->id, id))
            rev = NULL;
        if (json_array_append_new(current, json_pack("{s:s, s:b, s:s?, s:s?}", "revision", id,
                                                     "is_head", is_file_head(st, id), "message",
                                                     rev ? rev->message : NULL, "path",
                                                     rev ? rev->path : NULL))) {
            json_decref(current);
            current = NULL;
        }
    }
    /* "o" takes the array, and a NULL one fails the pack */
    return cli_print_json_value(json_pack("{s:o}", "current", current));
}

static void print_current(const struct cli *cli, um_ctx *ctx, const um_status_info *st)
{
    if (!st->n_current_heads)
        cli_info(cli, "The database is at base: no revision applied.");
    for (size_t i = 0; i < st->n_current_heads; i++) {
        const um_revision *rev = NULL;
        const char *id = st->current_heads[i];

        if (um_revision_lookup(ctx, id, &rev) != UM_OK || strcmp(rev->id, id))
            rev = NULL;
        if (cli->verbosity == CLI_VERBOSE && rev) {
            cli_print_revision_block(stdout, ctx, rev);
            fputc('\n', stdout);
        } else {
            printf("%s%s\n", id,
                   !rev                   ? " (no revision file)"
                   : is_file_head(st, id) ? " (head)"
                                          : "");
        }
    }
}

static int cmd_current(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_ctx *ctx = NULL;
    um_status_info *st = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_status(ctx, &st);
    if (rc == UM_OK && cli->json)
        rc = print_current_json(ctx, st);
    else if (rc == UM_OK)
        print_current(cli, ctx, st);
    um_status_free(st);
    return finish(ctx, rc);
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

static void print_health(const um_health *h)
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
}

/*
 * The exit status is the snapshot's (0, 10-14), so that the command serves
 * as a container probe; an unreachable database is a status, not an error.
 * Errors before the snapshot (configuration, revision files) keep their
 * usual codes.
 */
static int cmd_health(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_health h = UM_HEALTH_INIT;
    um_ctx *ctx = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_health_snapshot(ctx, &h);
    if (rc == UM_ECONNECT) {
        cli_print_error(ctx, rc);
        um_close(ctx);
        return CLI_EXIT_UNREACHABLE;
    }
    if (rc == UM_OK && cli->json)
        rc = cli_print_json(um_health_to_json(&h));
    else if (rc == UM_OK)
        print_health(&h);
    if (rc != UM_OK)
        return finish(ctx, rc);
    um_close(ctx);
    return cli_health_exit_code(h.status);
}

/* ---- history, heads, show ---------------------------------------------- */

static void print_history(const struct cli *cli, const um_history_list *h)
{
    for (size_t i = 0; i < h->count; i++) {
        const um_history_entry *e = &h->entries[i];

        printf("%s  %-5s  %s  %-6s  %8.1f ms  %s", e->started_at ? e->started_at : "",
               e->direction ? e->direction : "", e->revision ? e->revision : "",
               e->state ? e->state : "", e->duration_ms, e->applied_by ? e->applied_by : "");
        if (cli->verbosity == CLI_VERBOSE)
            printf("  host=%s application=%s version=%s", e->host ? e->host : "",
                   e->application_name ? e->application_name : "",
                   e->tool_version ? e->tool_version : "");
        fputc('\n', stdout);
        if (e->error)
            printf("    error: %s\n", e->error);
    }
}

/* Alembic's "history": the revision files, newest first. */
static int print_revisions(const struct cli *cli, um_ctx *ctx, size_t limit)
{
    size_t count = um_revision_count(ctx), shown = 0;
    json_t *a = NULL;
    int rc = UM_OK;

    if (cli->json && !(a = json_array()))
        return UM_ENOMEM;
    for (size_t i = count; rc == UM_OK && i-- > 0 && (!limit || shown < limit); shown++) {
        const um_revision *rev = um_revision_at(ctx, i);

        if (a) {
            rc = append_revision(a, rev);
        } else if (cli->verbosity == CLI_VERBOSE) {
            printf("%s", shown ? "\n" : "");
            cli_print_revision_block(stdout, ctx, rev);
        } else {
            cli_print_revision_line(stdout, rev);
        }
    }
    if (!a)
        return UM_OK;
    if (rc != UM_OK) {
        json_decref(a);
        return rc;
    }
    return cli_print_json_value(a);
}

static int cmd_history(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    size_t limit = 0;
    int revisions = 0;
    const struct cli_opt opts[] = { { "limit", 'n', CLI_NUMBER, &limit },
                                    { "revisions", 0, CLI_FLAG, &revisions },
                                    { NULL, 0, CLI_FLAG, NULL } };
    um_ctx *ctx = NULL;
    um_history_list *h = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, opts, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK && revisions)
        return finish(ctx, print_revisions(cli, ctx, limit));
    if (rc == UM_OK)
        rc = um_history(ctx, limit, &h);
    if (rc == UM_OK && cli->json)
        rc = cli_print_json(um_history_to_json(h));
    else if (rc == UM_OK)
        print_history(cli, h);
    um_history_free(h);
    return finish(ctx, rc);
}

static int print_heads(const struct cli *cli, um_ctx *ctx)
{
    const um_revision *rev;
    size_t shown = 0;
    json_t *a = NULL;
    int rc = UM_OK;

    if (cli->json && !(a = json_array()))
        return UM_ENOMEM;
    for (size_t i = 0; rc == UM_OK && (rev = um_revision_at(ctx, i)); i++) {
        if (!rev->is_head)
            continue;
        if (a) {
            rc = append_revision(a, rev);
        } else if (cli->verbosity == CLI_VERBOSE) {
            printf("%s", shown ? "\n" : "");
            cli_print_revision_block(stdout, ctx, rev);
        } else {
            printf("%s (head)\n", rev->id);
        }
        shown++;
    }
    if (!a)
        return UM_OK;
    if (rc != UM_OK) {
        json_decref(a);
        return rc;
    }
    return cli_print_json_value(a);
}

static int cmd_heads(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_ctx *ctx = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = print_heads(cli, ctx);
    return finish(ctx, rc);
}

static int cmd_show(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_ctx *ctx = NULL;
    const um_revision *rev = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_revision_lookup(ctx, args[0], &rev);
    if (rc == UM_OK && cli->json)
        rc = cli_print_json(um_revision_to_json(rev));
    else if (rc == UM_OK)
        cli_print_revision_block(stdout, ctx, rev);
    return finish(ctx, rc);
}

/* ---- generate, merge ----------------------------------------------------- */

static int print_generated(const struct cli *cli, char *path)
{
    int rc = UM_OK;

    if (cli->json)
        rc = cli_print_json_value(json_pack("{s:s?}", "path", path));
    else if (cli->verbosity != CLI_QUIET)
        printf("Generating %s ... done\n", path ? path : "");
    um_free(path);
    return rc;
}

static int cmd_generate(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_generate_options g = UM_GENERATE_OPTIONS_INIT;
    struct cli_list depends = { NULL, 0 };
    const struct cli_opt opts[] = {
        { "message", 'm', CLI_STRING, &g.message }, { "head", 0, CLI_STRING, &g.head },
        { "splice", 0, CLI_FLAG, &g.splice },       { "rev-id", 0, CLI_STRING, &g.rev_id },
        { "depends-on", 0, CLI_LIST, &depends },    { NULL, 0, CLI_FLAG, NULL }
    };
    um_ctx *ctx = NULL;
    char **args, *path = NULL;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, opts, &args, &n);
    if (rc == CLI_CONTINUE && n && g.message)
        rc = cli_usage_error("%s: give the message once, as -m or as an argument", cmd->name);
    else if (rc == CLI_CONTINUE && !n && !g.message)
        rc = cli_usage_error("%s: missing message", cmd->name);
    if (rc != CLI_CONTINUE) {
        free(depends.items);
        return rc;
    }
    if (n)
        g.message = args[0];
    g.depends_on = depends.items;
    g.n_depends_on = depends.n;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_generate(ctx, &g, &path);
    if (rc == UM_OK)
        rc = print_generated(cli, path);
    free(depends.items);
    return finish(ctx, rc);
}

static int cmd_merge(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    const char *message = NULL;
    const struct cli_opt opts[] = { { "message", 'm', CLI_STRING, &message },
                                    { NULL, 0, CLI_FLAG, NULL } };
    um_ctx *ctx = NULL;
    char **args, *path = NULL;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, opts, &args, &n);
    if (rc == CLI_CONTINUE && !message)
        rc = cli_usage_error("%s: missing -m MESSAGE", cmd->name);
    if (rc != CLI_CONTINUE)
        return rc;
    if (n == 1 && !strcmp(args[0], "heads"))
        n = 0;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_merge(ctx, message, n ? (const char *const *)args : NULL, (size_t)n, &path);
    if (rc == UM_OK)
        rc = print_generated(cli, path);
    return finish(ctx, rc);
}

/* ---- upgrade, downgrade, stamp ----------------------------------------- */

/* {"target":...,"current":[...]|null[,"steps":[...],"elapsed_ms":...]} */
static int print_run_json(const char *target, const um_status_info *st,
                          const struct cli_progress *p, double elapsed)
{
    json_t *doc =
        json_pack("{s:s?, s:o}", "target", target, "current",
                  st ? string_array(st->current_heads, st->n_current_heads) : json_null());
    json_t *steps;

    if (!doc || !p)
        return cli_print_json_value(doc);
    steps = json_array();
    for (size_t i = 0; steps && i < p->done; i++)
        if (json_array_append_new(steps, json_pack("{s:s, s:o}", "revision", p->revisions[i],
                                                   "duration_ms", ms_value(p->durations[i])))) {
            json_decref(steps);
            steps = NULL;
        }
    /* set_new takes the value and fails on NULL */
    if (json_object_set_new(doc, "steps", steps) ||
        json_object_set_new(doc, "elapsed_ms", ms_value(elapsed))) {
        json_decref(doc);
        doc = NULL;
    }
    return cli_print_json_value(doc);
}

/* "Upgraded to heads: 3f1c9a2b7d10 (2 revisions, 41 ms)" */
static void print_run_summary(const struct cli *cli, um_direction dir, const char *target,
                              const um_status_info *st, size_t steps, double elapsed)
{
    if (cli->verbosity == CLI_QUIET)
        return;
    if (!steps) {
        fputs("Already at target; nothing to do\n", stderr);
        return;
    }
    fprintf(stderr, "%s to %s", dir == UM_UP ? "Upgraded" : "Downgraded", target);
    if (st) {
        fputs(": ", stderr);
        print_ids(stderr, st->current_heads, st->n_current_heads, "<base>");
    }
    fprintf(stderr, " (%zu revision%s, %.0f ms)\n", steps, plural(steps), elapsed);
}

static int run(struct cli *cli, um_direction dir, const char *target, size_t wait)
{
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    struct cli_progress p = { cli, NULL, 0, NULL, NULL, 0 };
    um_status_info *st = NULL;
    double start;
    int rc;

    rc = open_engine(cli, &p.ctx);
    o.progress_cb = cli_progress;
    o.progress_payload = &p;
    if (rc == UM_OK) {
        cli_interrupt_attach(p.ctx);
        rc = wait_for_database(p.ctx, wait);
    }
    if (rc == UM_OK && cli_interrupted())
        rc = UM_ECANCELLED;
    start = now_ms();
    if (rc == UM_OK)
        rc = dir == UM_UP ? um_upgrade(p.ctx, target, &o) : um_rollback(p.ctx, target, &o);
    if (rc == UM_OK) {
        double elapsed = now_ms() - start;

        /* only to report where the run ended; a failure here is not the run's */
        if (um_status(p.ctx, &st) != UM_OK)
            st = NULL;
        print_run_summary(cli, dir, target, st, p.done, elapsed);
        if (cli->json)
            rc = print_run_json(target, st, &p, elapsed);
        um_status_free(st);
    } else if (p.done) {
        cli_info(cli, "%zu revision%s %s before the run stopped.", p.done, plural(p.done),
                 dir == UM_UP ? "applied" : "reverted");
    }
    cli_progress_free(&p);
    cli_interrupt_attach(NULL);
    return finish(p.ctx, rc);
}

static int cmd_upgrade(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    size_t wait = 0;
    const struct cli_opt opts[] = { { "wait", 0, CLI_NUMBER, &wait }, { NULL, 0, CLI_FLAG, NULL } };
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, opts, &args, &n);
    if (rc == CLI_CONTINUE)
        rc = check_wait(cmd, wait);
    if (rc != CLI_CONTINUE)
        return rc;
    return run(cli, UM_UP, n ? args[0] : "heads", wait);
}

static int cmd_downgrade(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    return run(cli, UM_DOWN, args[0], 0);
}

static int cmd_stamp(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    um_ctx *ctx = NULL;
    um_status_info *st = NULL;
    char **args;
    int n, rc;

    rc = cli_parse(cli, cmd, argc, argv, NULL, &args, &n);
    if (rc != CLI_CONTINUE)
        return rc;
    rc = open_engine(cli, &ctx);
    if (rc == UM_OK)
        rc = um_stamp(ctx, args[0]);
    if (rc == UM_OK) {
        if (um_status(ctx, &st) != UM_OK)
            st = NULL;
        cli_info(cli, "Stamped the database to %s", args[0]);
        if (cli->json)
            rc = print_run_json(args[0], st, NULL, 0.0);
        um_status_free(st);
    }
    return finish(ctx, rc);
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
    if (!topic)
        return cli_usage_error("unknown command '%s'", args[0]);
    cli_print_command_help(stdout, topic);
    return CLI_EXIT_OK;
}

/* ---- the table ---------------------------------------------------------- */

static const char generate_options[] =
    "  -m, --message MESSAGE    the message (instead of the MESSAGE argument)\n"
    "      --head REV           branch from REV instead of the current head\n"
    "      --splice             allow --head to name a revision that is not a head\n"
    "      --rev-id ID          the new revision's id (default: 12 random hex digits)\n"
    "      --depends-on REV     a dependency on another branch (repeatable)\n";

static const struct cli_command commands[] = {
    { "init", cmd_init, "[DIR]", "Create the project files and the bookkeeping tables.",
      "  DIR                      the migrations directory (default: the config\n"
      "                           file's script_location, else migrations)\n",
      0, 1, 0, 0, 0 },
    { "status", cmd_status, "", "Show current and file heads, pending revisions.", wait_option, 0,
      0, 0, 0, 1 },
    { "health", cmd_health, "", "Show the migration state; exit 0 or 10-14 (probes).", NULL, 0, 0,
      0, 0, 1 },
    { "current", cmd_current, "", "Show the revisions the database is at.", NULL, 0, 0, 0, 0, 1 },
    { "history", cmd_history, "", "Show the log of applied steps (or --revisions).",
      "  -n, --limit N            only the last N entries (--revisions: newest N)\n"
      "      --revisions          list the revision files instead\n",
      0, 0, 0, 0, 1 },
    { "heads", cmd_heads, "", "Show the heads of the revision files.", NULL, 0, 0, 0, 0, 0 },
    { "show", cmd_show, "REV", "Show one revision: parents, path and header.", NULL, 1, 1, 1, 0,
      0 },
    { "generate", cmd_generate, "MESSAGE", "Write a new revision file (alias: revision -m MSG).",
      generate_options, 0, 1, 0, 0, 0 },
    { "revision", cmd_generate, "-m MESSAGE", "Write a new revision file (alias of generate).",
      generate_options, 0, 1, 0, 1, 0 },
    { "merge", cmd_merge, "[REV...] -m MESSAGE",
      "Write a revision merging REVs (default: all heads).",
      "  -m, --message MESSAGE    the merge revision's message (required)\n", 0, -1, 0, 0, 0 },
    { "upgrade", cmd_upgrade, "[TARGET]", "Apply the revisions up to TARGET (default: heads).",
      wait_option, 0, 1, 1, 0, 1 },
    { "downgrade", cmd_downgrade, "TARGET", "Revert the applied revisions above TARGET.", NULL, 1,
      1, 1, 0, 1 },
    { "stamp", cmd_stamp, "REV", "Set the database's state to REV without running SQL.", NULL, 1, 1,
      1, 0, 1 },
    { "help", cmd_help, "[COMMAND]", "Show the help of ultramigrate or of COMMAND.", NULL, 0, 1, 0,
      0, 0 },
};

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
