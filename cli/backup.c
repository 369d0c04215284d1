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
    "      --force              restore even without a manifest, when the file\n"
    "                           does not match it, or when it is a backup of\n"
    "                           another database\n";

/* ---- progress ---------------------------------------------------------- */

/* @bytes as "512 B", "14.2 kB", "4.7 MB", "1.2 GB" into @buf. */
static const char *size_text(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = { "kB", "MB", "GB", "TB" };
    double v = (double)bytes;
    size_t u = 0;
    if (bytes < 1000) {
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
        return buf;
    }
    for (v /= 1e3; v >= 1e3 && u + 1 < sizeof(unit) / sizeof(unit[0]); u++)
        v /= 1e3;
    snprintf(buf, len, "%.1f %s", v, unit[u]);
    return buf;
}

/* A line on stderr, redrawn in place, when it is a terminal
 * (progress_line.c keeps whether it is on the screen, wipes it before any
 * other text, and never draws it with TERM=dumb). */
struct progress_line {
    const struct cli *cli;
    double drawn_ms; /* when it was last drawn; < 0: never */
};

static int progress(const um_backup_progress *p, void *payload)
{
    static const char *const names[] = { "dumping", "verifying", "restoring", "finished" };
    struct progress_line *line = payload;
    char text[96], size[32];

    if (!cli_progress_line_wanted(line->cli))
        return cli_interrupted();
    if (p->phase == UM_BACKUP_FINISHED) {
        cli_progress_line_wipe();
        return 0;
    }
    if (line->drawn_ms >= 0 && p->elapsed_ms - line->drawn_ms < PROGRESS_EVERY_MS)
        return cli_interrupted();
    snprintf(text, sizeof(text), "%-9s %10s  %6.1f s", names[p->phase],
             size_text(p->bytes, size, sizeof(size)), p->elapsed_ms / 1000.0);
    cli_progress_line_show(text);
    line->drawn_ms = p->elapsed_ms;
    return cli_interrupted();
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

/* @b's heads joined by ',' (malloc'd; "" when none), NULL when out of memory. */
static char *joined_heads(const um_backup_info *b)
{
    size_t len = 1;
    for (size_t h = 0; h < b->n_heads; h++)
        len += strlen(b->heads[h]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t h = 0; h < b->n_heads; h++) {
        if (h)
            strcat(s, ",");
        strcat(s, b->heads[h]);
    }
    return s;
}

/* "created  format  size  heads  check  path", one backup a line, in
 * columns whatever the length of the heads. */
static int print_list(const um_backup_list_info *list)
{
    const um_backup_info *b;
    struct cli_table t;
    int rc = cli_table_init(&t, 6);

    if (rc == UM_OK)
        t.right[2] = 1;
    for (size_t i = 0; rc == UM_OK && (b = um_backup_list_at(list, i)); i++) {
        char size[32];
        char *heads = joined_heads(b);
        const char *head_text = !heads ? NULL : b->n_heads ? heads : b->check ? "" : "base";
        rc = head_text
                 ? cli_table_add(
                       &t, (const char *const[]){ b->created_at ? b->created_at : "?",
                                                  b->format == UM_BACKUP_PLAIN ? "plain" : "custom",
                                                  size_text(b->size, size, sizeof(size)), head_text,
                                                  check_text(b->check), b->path })
                 : UM_ENOMEM;
        free(heads);
    }
    if (rc == UM_OK)
        cli_table_print(stdout, &t, "");
    cli_table_free(&t);
    return rc;
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

    struct progress_line line = { call->cli, -1.0 };
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
    cli_progress_line_wipe(); /* a line left by a run that stopped */
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

    (void)payload;
    cli_stderr_begin(); /* ends the verifying progress line first */
    describe_backup(t);
    cli_stderr_end();
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
    struct progress_line line = { call->cli, -1.0 };
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
    cli_progress_line_wipe(); /* a line left by a run that stopped */
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
