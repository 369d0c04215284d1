/*
 * preview.c - what an upgrade or downgrade would do, before it does it:
 * --sql prints the script a run would send (um_plan_render_sql), --dry-run
 * runs the revisions in a transaction that is rolled back and prints what
 * each did (um_apply_options.dry_run).  commands.c parses the options of
 * upgrade and downgrade and calls here.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char cli_preview_options[] = CLI_PREVIEW_OPTIONS_HELP;

int cli_check_preview(const struct cli_call *call, const struct cli_preview *pv)
{
    if (pv->sql && pv->dry_run)
        return cli_usage_error("%s: --sql and --dry-run exclude each other", call->cmd->name);
    if (pv->from && !pv->sql)
        return cli_usage_error("%s: --from goes with --sql", call->cmd->name);
    if (pv->sql && call->cli->json)
        return cli_usage_error("%s --sql prints SQL; leave out --json", call->cmd->name);
    /* the script of a stated state needs no database: do not connect early */
    if (pv->from)
        call->cli->connect_early = 0;
    return CLI_CONTINUE;
}

/* Splits "a,b" into its revisions (none for "base"); *out is malloc'd and
 * points into @copy, which is modified. */
static int split_from(char *copy, const char ***out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = copy; *p; p++)
        cap += *p == ',';
    *n = 0;
    if (!(*out = calloc(cap, sizeof(**out))))
        return UM_ENOMEM;
    if (!strcmp(copy, "base"))
        return UM_OK;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        (*out)[(*n)++] = tok;
    return UM_OK;
}

/* The plan --sql renders: from --from, or from the database's state. */
static int plan_for_sql(const struct cli_call *call, um_direction dir, const char *target,
                        const char *from, um_plan **out)
{
    char *copy;
    const char **heads = NULL;
    size_t n = 0;
    int rc;

    if (!from)
        return um_plan_create(out, call->ctx, dir, target);
    if (!(copy = strdup(from)))
        return UM_ENOMEM;
    rc = split_from(copy, &heads, &n);
    if (rc == UM_OK)
        rc = um_plan_create_from(out, call->ctx, dir, target, heads, n);
    free(heads);
    free(copy);
    return rc;
}

int cli_render_sql(const struct cli_call *call, um_direction dir, const char *target,
                   const char *from)
{
    um_plan *plan = NULL;
    char *script = NULL;
    int rc = plan_for_sql(call, dir, target, from, &plan);

    if (rc == UM_OK)
        rc = um_plan_render_sql(&script, call->ctx, plan, NULL);
    /* a script that did not reach its file is no rendering: main()
     * reports the failed write (cli_finish_stdout) and exits non-zero */
    if (rc == UM_OK && cli_put_stdout(script) == 0 && cli_flush_stdout() == 0)
        cli_info(call->cli, "Rendered %zu revision%s; nothing was changed",
                 um_plan_step_count(plan), um_plan_step_count(plan) == 1 ? "" : "s");
    um_free(script);
    um_plan_free(plan);
    return rc;
}

/* "public.a, public.b" */
static void print_locks(const um_dry_run_step *st)
{
    fputs("  AccessExclusiveLock: ", stdout);
    for (size_t i = 0; i < st->n_locks; i++)
        printf("%s%s", i ? ", " : "", st->locks[i]);
}

static void print_step(const um_dry_run_step *st)
{
    switch (st->result) {
    case UM_DRY_RUN_OK:
        printf("  ok         %s  %.1f ms", st->revision, st->duration_ms);
        if (st->n_locks)
            print_locks(st);
        break;
    case UM_DRY_RUN_FAILED:
        printf("  FAILED     %s  %.1f ms  %s:%d: %s (SQLSTATE %s)", st->revision, st->duration_ms,
               st->path, st->line, st->error ? st->error : "?", st->sqlstate ? st->sqlstate : "?");
        break;
    default:
        printf("  not tried  %s  %s", st->revision, st->reason ? st->reason : "");
        break;
    }
    putchar('\n');
}

static int print_dry_run(const struct cli *cli, um_direction dir, const char *target,
                         const um_dry_run_info *info)
{
    const um_dry_run_step *st;

    if (cli->json)
        return cli_print_json(um_dry_run_info_to_json(info));
    printf("Dry run of the %s to %s (rolled back; nothing was changed or recorded):\n",
           dir == UM_UP ? "upgrade" : "downgrade", target);
    if (!um_dry_run_step_count(info))
        puts("  nothing to do");
    for (size_t i = 0; (st = um_dry_run_step_at(info, i)); i++)
        print_step(st);
    return UM_OK;
}

int cli_dry_run(const struct cli_call *call, um_direction dir, const char *target)
{
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    um_dry_run_info *info = NULL;
    int rc, printed;

    o.dry_run = 1;
    o.dry_run_out = &info;
    cli_interrupt_attach(call->ctx);
    rc = dir == UM_UP ? um_upgrade(call->ctx, target, &o) : um_rollback(call->ctx, target, &o);
    cli_interrupt_attach(NULL);
    /* a revision that failed is the dry run's finding: shown, then the
     * error and its exit status */
    printed = info ? print_dry_run(call->cli, dir, target, info) : UM_OK;
    um_dry_run_info_free(info);
    return rc != UM_OK ? rc : printed;
}
