/*
 * repair.c - the repair command: the operator's word on a revision a run
 * left half done (REV --applied | REV --rolled-back), or on files edited
 * after they were applied (--checksums).  The engine checks and records;
 * this file parses and prints.
 */
#include "cli.h"

#include <string.h>

const char cli_repair_options[] =
    "  REV --applied            a revision left failed or in progress is done (its\n"
    "                           remaining statements were run by hand): record it\n"
    "                           applied\n"
    "  REV --rolled-back        it is undone (what ran of it was reverted by hand):\n"
    "                           record it not applied\n"
    "      --checksums          store the files' checksums of applied revisions\n"
    "                           whose up section was edited on purpose; lists them\n";

struct repair_state {
    int applied;
    int rolled_back;
    int checksums;
};

/* One of the three forms, nothing else. */
static int check_repair(const struct cli_call *call)
{
    const struct repair_state *rs = call->state;
    int forms = rs->applied + rs->rolled_back + rs->checksums;

    if (forms != 1)
        return cli_usage_error("repair: give one of REV --applied, REV --rolled-back or"
                               " --checksums");
    if (rs->checksums && call->n_args)
        return cli_usage_error("repair: --checksums takes no revision");
    if (!rs->checksums && !call->n_args)
        return cli_usage_error("repair: --%s needs the revision to record",
                               rs->applied ? "applied" : "rolled-back");
    return CLI_CONTINUE;
}

/* One line a revision changed, on stdout; a summary on stderr. */
static int print_repair(const struct cli *cli, const um_repair_list *list, int checksums)
{
    const um_repair_entry *e;

    for (size_t i = 0; (e = um_repair_at(list, i)); i++) {
        if (checksums)
            printf("%s  checksum %.12s -> %.12s  %s\n", e->revision,
                   e->old_checksum ? e->old_checksum : "(none)", e->new_checksum,
                   e->path ? e->path : "");
        else
            printf("%s  %s -> %s\n", e->revision, e->before, e->after);
    }
    if (checksums)
        cli_info(cli, "%zu checksum%s rewritten.", um_repair_count(list),
                 um_repair_count(list) == 1 ? "" : "s");
    return UM_OK;
}

static int repair_body(const struct cli_call *call)
{
    const struct repair_state *rs = call->state;
    um_repair_options o = UM_REPAIR_OPTIONS_INIT;
    um_repair_list *list = NULL;
    int rc;

    o.action = rs->checksums ? UM_REPAIR_CHECKSUMS
               : rs->applied ? UM_REPAIR_APPLIED
                             : UM_REPAIR_ROLLED_BACK;
    o.revision = call->n_args ? call->args[0] : NULL;
    rc = um_repair(&list, call->ctx, &o);
    if (rc == UM_OK)
        rc = call->cli->json ? cli_print_json(um_repair_to_json(list))
                             : print_repair(call->cli, list, rs->checksums);
    um_repair_free(list);
    return rc;
}

int cli_cmd_repair(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct repair_state rs = { 0, 0, 0 };
    const struct cli_opt opts[] = { { "applied", 0, CLI_FLAG, &rs.applied },
                                    { "rolled-back", 0, CLI_FLAG, &rs.rolled_back },
                                    { "checksums", 0, CLI_FLAG, &rs.checksums },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_repair, repair_body, &rs };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}
