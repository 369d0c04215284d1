/*
 * verify.c - the verify and check commands: um_verify() printed, and the
 * exit status a CI pipeline reads (docs/cli.md).
 *
 * verify: 0 without errors (warnings are printed, not failed), 9 with
 * errors (drift, with --drift, is an error), 14 when the database could
 * not be reached for the online checks.
 * check, the CI gate: the same, and 10 with --fail-on-pending when
 * revisions remain to apply.  Errors win over an unreachable database,
 * which wins over pending revisions.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Both commands' --drift. */
#define DRIFT_OPTION                                                                               \
    "      --drift              compare the database with schema_file, as\n"                       \
    "                           'auto --from-db' would: each difference an error,\n"               \
    "                           then the SQL that would remove them\n"

const char cli_verify_options[] =
    "      --allow-multiple-heads\n"
    "                           several heads are not an error\n" DRIFT_OPTION
    "      --offline            do not check the database (-d); the files only,\n"
    "                           and --roundtrip's database when given\n"
    "      --roundtrip URL      the stairway test on URL, an empty scratch database:\n"
    "                           each revision up, down and up again, the catalog\n"
    "                           after its down compared with the one before its up\n";

const char cli_check_options[] =
    "      --fail-on-pending    exit 10 when revisions remain to apply\n"
    "      --allow-multiple-heads\n"
    "                           several heads are not an error\n" DRIFT_OPTION;

struct verify_state {
    int allow_multiple_heads;
    int offline;
    int drift;
    const char *roundtrip; /* as given (masked in argv), then a copy */
    char *roundtrip_copy;
    int fail_on_pending; /* check */
    int is_check;
    int status; /* the exit status the findings call for */
};

/* --drift needs the database; --roundtrip's URL is kept, and its password
 * masked in the process's arguments, as -d's is. */
static int check_verify(const struct cli_call *call)
{
    struct verify_state *vs = call->state;

    if (vs->drift && vs->offline)
        return cli_usage_error("verify: --drift compares the database; it cannot be --offline");
    if (!vs->roundtrip)
        return CLI_CONTINUE;
    vs->roundtrip_copy = strdup(vs->roundtrip);
    cli_scrub_password((char *)vs->roundtrip);
    if (!vs->roundtrip_copy) {
        fputs("ultramigrate: out of memory\n", stderr);
        return CLI_EXIT_ERROR;
    }
    return CLI_CONTINUE;
}

/* "file:line: severity: message [code]", as lint prints, the revision
 * first when there is no file. */
static void print_finding(const um_verify_finding *f)
{
    const char *severity = f->severity == UM_VERIFY_ERROR ? "error" : "warning";

    if (f->file && f->line)
        printf("%s:%d: ", f->file, f->line);
    else if (f->file)
        printf("%s: ", f->file);
    if (f->revision)
        printf("revision %s: ", f->revision);
    printf("%s: %s [%s]\n", severity, f->message, f->code);
}

static void print_pending(const um_status_info *st)
{
    const um_revision *rev;
    size_t n = um_status_pending_count(st);

    printf("Pending:       %zu revision%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; (rev = um_status_pending_at(st, i)); i++)
        printf("  %s  %s  (%s)\n", rev->id, rev->message, rev->path);
}

typedef const char *(*head_at)(const um_status_info *st, size_t i);

static void print_heads(const char *title, const um_status_info *st, head_at at, const char *none)
{
    const char *id;
    size_t i;

    fputs(title, stdout);
    for (i = 0; (id = at(st, i)); i++)
        printf("%s%s", i ? ", " : "", id);
    printf("%s\n", i ? "" : none);
}

/* The script after the findings, or a line saying there is no drift. */
static void print_drift(const struct cli *cli, const um_verify_result *r)
{
    const char *sql = um_verify_drift_sql(r);

    if (!sql)
        return;
    if (!*sql) {
        cli_info(cli, "No drift: the database matches the schema file.");
        return;
    }
    printf("\n-- SQL that would bring the database to the schema file:\n%s", sql);
}

static void print_text(const struct cli *cli, const struct verify_state *vs,
                       const um_verify_result *r)
{
    const um_verify_finding *f;
    const um_status_info *st = um_verify_status(r);
    size_t errors = um_verify_error_count(r), warnings = um_verify_count(r) - errors;

    if (vs->is_check && st) {
        print_heads("Current heads: ", st, um_status_current_head_at, "(none: at base)");
        print_heads("File heads:    ", st, um_status_file_head_at, "(no revisions)");
        print_pending(st);
    }
    for (size_t i = 0; (f = um_verify_at(r, i)); i++)
        print_finding(f);
    print_drift(cli, r);
    if (um_verify_online_state(r) == UM_VERIFY_ONLINE_SKIPPED)
        cli_print_scrubbed(stderr, "ultramigrate: the online checks were skipped: %s\n",
                           um_verify_online_reason(r));
    cli_info(cli, "%zu error%s, %zu warning%s", errors, errors == 1 ? "" : "s", warnings,
             warnings == 1 ? "" : "s");
}

static int exit_status(const struct verify_state *vs, const um_verify_result *r)
{
    const um_status_info *st = um_verify_status(r);

    if (um_verify_error_count(r))
        return CLI_EXIT_STATE;
    if (um_verify_online_state(r) == UM_VERIFY_ONLINE_SKIPPED)
        return CLI_EXIT_UNREACHABLE;
    if (vs->fail_on_pending && um_status_pending_count(st))
        return CLI_EXIT_PENDING;
    return CLI_EXIT_OK;
}

static int verify_body(const struct cli_call *call)
{
    struct verify_state *vs = call->state;
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    um_verify_result *r = NULL;
    int rc;

    o.allow_multiple_heads = vs->allow_multiple_heads;
    o.offline = vs->offline;
    o.drift = vs->drift;
    o.roundtrip_url = vs->roundtrip_copy;
    cli_interrupt_attach(call->ctx);
    rc = um_verify(&r, call->ctx, &o);
    cli_interrupt_attach(NULL);
    /* a signal that came before the call began, or after its last look */
    if (rc == UM_OK && cli_interrupted()) {
        um_verify_free(r);
        return UM_ECANCELLED;
    }
    if (rc != UM_OK)
        return rc;
    if (call->cli->json)
        rc = cli_print_json(um_verify_to_json(r));
    else
        print_text(call->cli, vs, r);
    vs->status = exit_status(vs, r);
    um_verify_free(r);
    return rc;
}

/* A call that failed keeps the usual exit codes; one that ran says what
 * it found. */
static int run(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
               const struct cli_opt *opts, struct verify_state *vs)
{
    const struct engine_command ec = { opts, check_verify, verify_body, vs };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    free(vs->roundtrip_copy);
    return status == CLI_EXIT_OK ? vs->status : status;
}

int cli_cmd_verify(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct verify_state vs = { 0 };
    const struct cli_opt opts[] = { { "allow-multiple-heads", 0, CLI_FLAG,
                                      &vs.allow_multiple_heads },
                                    { "drift", 0, CLI_FLAG, &vs.drift },
                                    { "offline", 0, CLI_FLAG, &vs.offline },
                                    { "roundtrip", 0, CLI_STRING, &vs.roundtrip },
                                    { NULL, 0, CLI_FLAG, NULL } };

    return run(cli, cmd, argc, argv, opts, &vs);
}

int cli_cmd_check(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct verify_state vs = { 0 };
    const struct cli_opt opts[] = { { "fail-on-pending", 0, CLI_FLAG, &vs.fail_on_pending },
                                    { "allow-multiple-heads", 0, CLI_FLAG,
                                      &vs.allow_multiple_heads },
                                    { "drift", 0, CLI_FLAG, &vs.drift },
                                    { NULL, 0, CLI_FLAG, NULL } };

    vs.is_check = 1;
    return run(cli, cmd, argc, argv, opts, &vs);
}
