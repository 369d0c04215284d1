/*
 * backup.c - the backup and restore commands, and what upgrade prints of
 * the backup it takes first.
 *
 * restore replaces a database's contents, so it asks first: on a terminal
 * the operator types the database's name (a "y" would be typed without
 * reading); without a terminal to ask on, --yes must say it.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How often the progress line is redrawn. */
#define PROGRESS_EVERY_MS 1000.0

const char cli_backup_options[] =
    "      --out FILE           write the backup to FILE, which must not exist\n"
    "                           (default: a new file in backup_dir, after which\n"
    "                           backup_keep deletes the oldest beyond it)\n"
    "      --format FORMAT      custom (pg_dump's archive) or plain (SQL); default:\n"
    "                           the configuration's backup_format, else custom\n"
    "      --list               list the backups in backup_dir, newest first, each\n"
    "                           checked against its manifest\n";

const char cli_restore_options[] =
    "  FILE                     the backup; its manifest FILE.json must be beside it\n"
    "      --into URL           the database to restore into (as -d URL)\n"
    "  -y, --yes                do not ask; needed when stdin is not a terminal\n"
    "      --force              restore even without a manifest, or when the file\n"
    "                           does not match it\n";

/* ---- progress ---------------------------------------------------------- */

/* A line on stderr, redrawn in place, when it is a terminal. */
struct progress_line {
    const struct cli *cli;
    int shown;       /* a line is on the screen */
    double drawn_ms; /* when it was last drawn */
};

static int progress(const um_backup_progress *p, void *payload)
{
    static const char *const names[] = { "dumping", "verifying", "restoring", "finished" };
    struct progress_line *line = payload;

    if (line->cli->verbosity == CLI_QUIET || !isatty(STDERR_FILENO))
        return cli_interrupted();
    if (p->phase == UM_BACKUP_FINISHED) {
        if (line->shown)
            fputc('\n', stderr);
        line->shown = 0;
        return 0;
    }
    if (line->shown && p->elapsed_ms - line->drawn_ms < PROGRESS_EVERY_MS)
        return cli_interrupted();
    fprintf(stderr, "\r%-9s %8.1f MB  %6.1f s", names[p->phase], (double)p->bytes / 1e6,
            p->elapsed_ms / 1000.0);
    line->shown = 1;
    line->drawn_ms = p->elapsed_ms;
    return cli_interrupted();
}

/* Ends a progress line left on the screen by a run that stopped. */
static void progress_end(struct progress_line *line)
{
    if (line->shown)
        fputc('\n', stderr);
    line->shown = 0;
}

/* ---- backup -------------------------------------------------------------- */

struct backup_state {
    const char *out;
    const char *format;
    int list;
};

static int check_backup(const struct cli_call *call)
{
    const struct backup_state *bs = call->state;

    if (bs->list && (bs->out || bs->format))
        return cli_usage_error("backup: --list lists; it takes neither --out nor --format");
    if (bs->format && strcmp(bs->format, "custom") && strcmp(bs->format, "plain"))
        return cli_usage_error("backup: --format: custom or plain, not '%s'", bs->format);
    return CLI_CONTINUE;
}

static const char *check_text(um_backup_check check)
{
    switch (check) {
    case UM_BACKUP_OK:
        return "ok";
    case UM_BACKUP_CHECKSUM_MISMATCH:
        return "CHECKSUM MISMATCH";
    case UM_BACKUP_NO_MANIFEST:
        return "no manifest";
    case UM_BACKUP_BAD_MANIFEST:
        return "bad manifest";
    case UM_BACKUP_FILE_MISSING:
        return "file missing";
    }
    return "?";
}

/* "created  format  size  heads  check  path", one backup a line. */
static int print_list(const um_backup_list_info *list)
{
    const um_backup_info *b;

    for (size_t i = 0; (b = um_backup_list_at(list, i)); i++) {
        printf("%-24s  %-6s  %10.1f MB  ", b->created_at ? b->created_at : "?",
               b->format == UM_BACKUP_PLAIN ? "plain" : "custom", (double)b->size / 1e6);
        for (size_t h = 0; h < b->n_heads; h++)
            printf("%s%s", h ? "," : "", b->heads[h]);
        printf("%s  %s  %s\n", b->n_heads || b->check ? "" : "base", check_text(b->check), b->path);
    }
    return UM_OK;
}

static int list_body(const struct cli_call *call)
{
    um_backup_list_info *list = NULL;
    int rc = um_backup_list(&list, call->ctx);

    if (rc == UM_OK)
        rc = call->cli->json ? cli_print_json(um_backup_list_to_json(list)) : print_list(list);
    if (rc == UM_OK)
        cli_info(call->cli, "%zu backup%s", um_backup_list_count(list),
                 um_backup_list_count(list) == 1 ? "" : "s");
    um_backup_list_free(list);
    return rc;
}

static int backup_body(const struct cli_call *call)
{
    const struct backup_state *bs = call->state;
    if (bs->list)
        return list_body(call);

    struct progress_line line = { call->cli, 0, 0.0 };
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    um_backup_info *b = NULL;
    int rc;
    o.out = bs->out;
    o.format = !bs->format                    ? UM_BACKUP_FORMAT_DEFAULT
               : !strcmp(bs->format, "plain") ? UM_BACKUP_PLAIN
                                              : UM_BACKUP_CUSTOM;
    o.progress_cb = progress;
    o.progress_payload = &line;
    cli_interrupt_attach(call->ctx);
    rc = um_backup(&b, call->ctx, &o);
    cli_interrupt_attach(NULL);
    progress_end(&line);
    if (rc == UM_OK && call->cli->json)
        rc = cli_print_json(um_backup_info_to_json(b));
    else if (rc == UM_OK)
        printf("%s\n", b->path);
    um_backup_info_free(b);
    return rc;
}

int cli_cmd_backup(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct backup_state bs = { NULL, NULL, 0 };
    const struct cli_opt opts[] = { { "out", 0, CLI_STRING, &bs.out },
                                    { "format", 0, CLI_STRING, &bs.format },
                                    { "list", 0, CLI_FLAG, &bs.list },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_backup, backup_body, &bs };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* ---- restore ------------------------------------------------------------- */

struct restore_state {
    const char *into;
    int yes;
    int force;
};

/*
 * --into is -d for this command: the URL is copied and its password
 * masked in the arguments, as -d's is.  Without a terminal to ask on, the
 * restore must be confirmed with --yes before anything is read.
 */
static int check_restore(const struct cli_call *call)
{
    const struct restore_state *rs = call->state;
    struct cli *cli = call->cli;

    if (rs->into && cli->database_url)
        return cli_usage_error("restore: give the database with -d or --into, not both");
    if (rs->into) {
        cli->database_url = strdup(rs->into);
        cli_scrub_password((char *)rs->into);
        if (!cli->database_url) {
            fputs("ultramigrate: out of memory\n", stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (!rs->yes && !isatty(STDIN_FILENO))
        return cli_usage_error("restore replaces the database's contents: stdin is not a"
                               " terminal to confirm on, so pass --yes");
    return CLI_CONTINUE;
}

static void describe_backup(const um_restore_target *t)
{
    const um_backup_info *b = t->backup;

    fprintf(stderr, "Restoring %s", t->path);
    if (b) {
        fprintf(stderr, " (a backup of \"%s\" taken %s, at ", b->database ? b->database : "?",
                b->created_at ? b->created_at : "?");
        for (size_t i = 0; i < b->n_heads; i++)
            fprintf(stderr, "%s%s", i ? ", " : "", b->heads[i]);
        fprintf(stderr, "%s)", b->n_heads ? "" : "base");
    }
    fprintf(stderr, "\nreplaces the contents of database \"%s\" on %s%s%s.\n", t->database,
            t->host[0] ? t->host : "the default server", t->port[0] ? " port " : "", t->port);
}

/* The operator types the database's name; anything else refuses.  The
 * file was verified first: its progress line ends before the question. */
static int confirm(const um_restore_target *t, void *payload)
{
    char answer[256];
    size_t n;

    progress_end(payload);
    describe_backup(t);
    fputs("Type the database's name to go on: ", stderr);
    fflush(stderr);
    if (!fgets(answer, sizeof(answer), stdin))
        return 1;
    n = strcspn(answer, "\r\n");
    answer[n] = '\0';
    return strcmp(answer, t->database) != 0;
}

/* The heads the database is at, one a line, as current prints them. */
static int print_restored(const um_restore_info *r)
{
    for (size_t i = 0; i < r->n_heads; i++)
        printf("%s\n", r->heads[i]);
    return UM_OK;
}

static int restore_body(const struct cli_call *call)
{
    const struct restore_state *rs = call->state;
    struct progress_line line = { call->cli, 0, 0.0 };
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    um_restore_info *r = NULL;
    int rc;

    o.force = rs->force;
    o.confirm_cb = rs->yes ? NULL : confirm;
    o.confirm_payload = &line;
    o.progress_cb = progress;
    o.progress_payload = &line;
    cli_interrupt_attach(call->ctx);
    rc = um_restore(&r, call->ctx, call->args[0], &o);
    cli_interrupt_attach(NULL);
    progress_end(&line);
    if (rc == UM_OK)
        rc = call->cli->json ? cli_print_json(um_restore_info_to_json(r)) : print_restored(r);
    um_restore_info_free(r);
    return rc;
}

int cli_cmd_restore(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct restore_state rs = { NULL, 0, 0 };
    const struct cli_opt opts[] = { { "into", 0, CLI_STRING, &rs.into },
                                    { "yes", 'y', CLI_FLAG, &rs.yes },
                                    { "force", 0, CLI_FLAG, &rs.force },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, check_restore, restore_body, &rs };

    return cli_run_on_engine(cli, cmd, argc, argv, &ec);
}

/* ---- upgrade ------------------------------------------------------------- */

json_t *cli_backup_json(const um_backup_info *b)
{
    return b ? json_string(b->path) : json_null();
}
