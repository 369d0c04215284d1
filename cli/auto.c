/*
 * auto.c - "auto MESSAGE": a revision written from the difference between
 * the schema file and the revisions (or, with --from-db, the database).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cli_auto_options[] =
    "  -m, --message MESSAGE    the message (instead of the MESSAGE argument)\n"
    "      --from-db            compare with the configured database (only read)\n"
    "                           instead of the revisions replayed in a scratch\n"
    "                           database\n"
    "      --schema-file PATH   the declared schema (default: schema_file)\n"
    "      --dry-run            print the up and down SQL; write no file\n"
    "      --head REV           branch from REV instead of the current head\n"
    "      --splice             allow --head to name a revision that is not a head\n"
    "      --rev-id ID          the new revision's id (default: 12 random hex digits)\n"
    "  Exit status 22: no difference, no file written.  The written file is\n"
    "  linted as lint_on_upgrade says (exit 17 on an error finding with\n"
    "  lint_on_upgrade = error; the file stays written).\n";

struct auto_state {
    um_autogen_options o;
    int no_difference;
};

static int check_auto(const struct cli_call *call)
{
    struct auto_state *st = call->state;

    if (call->n_args && st->o.message)
        return cli_usage_error("auto: give the message once, as -m or as an argument");
    if (!call->n_args && !st->o.message)
        return cli_usage_error("auto: missing message");
    if (call->n_args)
        st->o.message = call->args[0];
    return CLI_CONTINUE;
}

/* {"path": PATH|null, "differs": BOOL, "up": SQL, "down": SQL,
 *  "destructive": [TEXT...], "lint": LINT-DOCUMENT|null} */
static int print_auto_json(const um_autogen_result *res, json_t *lint)
{
    json_t *warnings = json_array();
    const char *w;

    for (size_t i = 0; warnings && (w = um_autogen_result_destructive_at(res, i)); i++)
        warnings = cli_json_append(warnings, json_string(w));
    return cli_print_json_value(json_pack(
        "{s:s?, s:b, s:s, s:s, s:o, s:o}", "path", um_autogen_result_path(res), "differs",
        um_autogen_result_differs(res), "up", um_autogen_result_up(res), "down",
        um_autogen_result_down(res), "destructive", warnings, "lint", lint ? lint : json_null()));
}

static void print_auto_text(const struct cli_call *call, const um_autogen_result *res)
{
    const struct auto_state *st = call->state;

    if (!um_autogen_result_differs(res))
        cli_info(call->cli, "No changes: the schema file matches the %s.",
                 st->o.from_db ? "database" : "revisions");
    else if (st->o.dry_run)
        printf("-- migrate:up\n%s\n-- migrate:down\n%s", um_autogen_result_up(res),
               um_autogen_result_down(res));
    else if (call->cli->verbosity != CLI_QUIET)
        printf("Generating %s ... done\n", um_autogen_result_path(res));
}

static int auto_body(const struct cli_call *call)
{
    struct auto_state *st = call->state;
    um_autogen_result *res = NULL;
    json_t *lint = NULL;
    int rc;

    cli_interrupt_attach(call->ctx);
    rc = um_autogenerate(&res, call->ctx, &st->o);
    cli_interrupt_attach(NULL);
    if (rc != UM_OK)
        return rc;
    st->no_difference = !um_autogen_result_differs(res);
    if (!call->cli->json)
        print_auto_text(call, res);
    fflush(stdout);
    /* what lint_on_upgrade finds in the written file (none written: no lint) */
    if (um_autogen_result_path(res))
        rc = cli_lint_generated(call, um_autogen_result_path(res), call->cli->json ? &lint : NULL);
    if (call->cli->json && (rc == UM_OK || rc == UM_ELINT)) {
        int printed = print_auto_json(res, lint);
        rc = printed != UM_OK ? printed : rc;
    } else {
        json_decref(lint);
    }
    um_autogen_result_free(res);
    return rc;
}

int cli_cmd_auto(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct auto_state st = { UM_AUTOGEN_OPTIONS_INIT, 0 };
    const struct cli_opt opts[] = { { "message", 'm', CLI_STRING, &st.o.message },
                                    { "from-db", 0, CLI_FLAG, &st.o.from_db },
                                    { "schema-file", 0, CLI_STRING, &st.o.schema_file },
                                    { "dry-run", 0, CLI_FLAG, &st.o.dry_run },
                                    { "head", 0, CLI_STRING, &st.o.head },
                                    { "splice", 0, CLI_FLAG, &st.o.splice },
                                    { "rev-id", 0, CLI_STRING, &st.o.rev_id },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_auto, auto_body, &st };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    return status == CLI_EXIT_OK && st.no_difference ? CLI_EXIT_NO_CHANGES : status;
}
