/*
 * main.c - the ultramigrate command: global options, argument parsing and
 * dispatch to the command table in commands.c.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#endif

#define DEFAULT_CONFIG "ultramigrate.ini"
#define MAX_LONGOPTS   32

/* Keys of long-only options; command options without a short name use
 * KEY_CMD + their index. */
enum { KEY_JSON = 0x100, KEY_VERSION, KEY_CMD = 0x200 };

static const char global_shortopts[] = "c:d:n:qvh";

#define GLOBAL_LONGOPTS                                                                            \
    { "config", required_argument, NULL, 'c' }, { "database-url", required_argument, NULL, 'd' },  \
        { "name", required_argument, NULL, 'n' }, { "json", no_argument, NULL, KEY_JSON },         \
        { "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },                \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

static const char global_options_help[] =
    "  -c, --config FILE        configuration file (default: ./ultramigrate.ini\n"
    "                           when it exists)\n"
    "  -d, --database-url URL   database URL; overrides the environment and the\n"
    "                           configuration file\n"
    "  -n, --name SECTION       read the configuration file's [SECTION] instead of\n"
    "                           [ultramigrate] and [alembic] (history and\n"
    "                           import-alembic have a -n of their own: put this\n"
    "                           one before them)\n"
    "      --json               print JSON on stdout (logs stay on stderr)\n"
    "  -q, --quiet              print errors only\n"
    "  -v, --verbose            print debug messages and more detail\n"
    "  -h, --help               print help and exit\n"
    "      --version            print the versions (libpq's, and the server's when\n"
    "                           the project's database answers in 2 s) and exit\n";

static const char exit_status_help[] =
    "  0 success                    5 bad or unreachable target, irreversible\n"
    "  1 other error                6 cannot connect to the database\n"
    "  2 usage error                7 migration lock held by another run\n"
    "  3 configuration error        8 a revision failed, or cancelled\n"
    "  4 bad revision files/graph   9 database state or verification failed\n"
    "health (0 when ok; 11 from status and current too):\n"
    " 10 revisions pending         13 an applied revision's file changed\n"
    " 11 a revision failed or      14 database unreachable\n"
    "    is in progress            15 last run cancelled, revisions pending\n"
    " 12 database ahead of files   23 a run is migrating right now\n"
    "lint (0 when clean):\n"
    " 16 warnings only             17 errors (also upgrade, generate,\n"
    "                                 auto with lint_on_upgrade = error)\n"
    "backup, restore, upgrade with a backup first:\n"
    " 18 the backup or restore failed (upgrade: nothing was migrated)\n"
    "any command on the database:\n"
    " 19 the connection was lost     20 bookkeeping tables unusable\n"
    "verify, check (0 when nothing is wrong):\n"
    "  9 an error was found        14 database unreachable (files checked)\n"
    " 10 check --fail-on-pending: revisions pending\n"
    "through a connection pooler with lock_mode = advisory:\n"
    " 21 refused, nothing was run (connect directly or set lock_mode = table)\n"
    "auto:\n"
    " 22 no difference between the schema file and the revisions; no file\n";

/* The command whose options and arguments are being read, NULL before
 * one is known: a usage error points at that command's help, which shows
 * the options that apply, rather than at the list of every command. */
static const char *usage_command;

void cli_usage_context(const struct cli_command *cmd)
{
    usage_command = cmd ? cmd->name : NULL;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("ultramigrate: ", stderr);
    va_start(ap, fmt);
    cli_vprint_scrubbed(stderr, fmt, ap);
    va_end(ap);
    if (usage_command)
        fprintf(stderr, "\nTry 'ultramigrate %s --help'.\n", usage_command);
    else
        fputs("\nTry 'ultramigrate --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

void cli_print_help(FILE *out)
{
    const struct cli_command *cmd;

    fputs("Usage: ultramigrate [-c FILE] [-n SECTION] [-d URL] [--json] [-q|-v] COMMAND [ARGS]\n"
          "\nPostgreSQL schema migrations from a directory of SQL revision files.\n"
          "\nGlobal options (also accepted after the command):\n",
          out);
    fputs(global_options_help, out);
    fputs("\nCommands:\n", out);
    for (size_t i = 0; (cmd = cli_command_at(i)); i++) {
        char synopsis[160];

        if (cmd->hidden)
            continue;
        snprintf(synopsis, sizeof(synopsis), "%s %s", cmd->name, cmd->args);
        if (strlen(synopsis) > 24)
            fprintf(out, "  %s\n  %-24s %s\n", synopsis, "", cmd->summary);
        else
            fprintf(out, "  %-24s %s\n", synopsis, cmd->summary);
    }
    fputs("\nExit status:\n", out);
    fputs(exit_status_help, out);
    fputs("\nRun 'ultramigrate COMMAND --help' for a command's options; "
          "see ultramigrate(1).\n",
          out);
}

void cli_print_command_help(FILE *out, const struct cli_command *cmd)
{
    fprintf(out, "Usage: ultramigrate [GLOBAL OPTIONS] %s [OPTIONS]%s%s\n\n%s\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args, cmd->summary);
    fputs("\nOptions:\n", out);
    if (cmd->options)
        fputs(cmd->options, out);
    fputs("  -h, --help               print this help and exit\n"
          "\nGlobal options (-c, -n, -d, --json, -q, -v) may come before or after "
          "the command;\nsee 'ultramigrate --help' for them and the exit status.\n",
          out);
}

/* Applies a global option; returns CLI_CONTINUE or an exit status. */
static int global_option(struct cli *cli, int key)
{
    switch (key) {
    case 'c':
        cli->config_path = optarg;
        cli->config_given = 1;
        return CLI_CONTINUE;
    case 'n':
        cli->section = optarg;
        return CLI_CONTINUE;
    case 'd':
        /* ps shows the arguments to every local user: keep a copy, mask
         * the password in the original (as the mysql client does) */
        free(cli->database_url);
        cli->database_url = strdup(optarg);
        cli_scrub_password(optarg);
        if (!cli->database_url) {
            fputs("ultramigrate: out of memory\n", stderr);
            return CLI_EXIT_ERROR;
        }
        return CLI_CONTINUE;
    case KEY_JSON:
        cli->json = 1;
        return CLI_CONTINUE;
    case 'q':
        cli->verbosity = CLI_QUIET;
        return CLI_CONTINUE;
    case 'v':
        cli->verbosity = CLI_VERBOSE;
        return CLI_CONTINUE;
    default:
        return CLI_EXIT_USAGE;
    }
}

/*
 * The failing option's text for getopt's '?' and ':' cases.  A mistyped
 * "--databse-url=postgresql://user:secret@host" must not be quoted back:
 * an argument that may hold a secret is named by its option only.
 */
static int bad_option(const char *prefix, int key, char **argv)
{
    const char *arg = argv[optind - 1];
    const char *what = key == '?' ? "unrecognized option" : "option";
    const char *tail = key == '?' ? "" : " requires an argument";
    char name[64];

    if (optopt > 0 && optopt < 0x100)
        return cli_usage_error("%s%s '-%c'%s", prefix, what, optopt, tail);
    if (!cli_looks_secret(arg))
        return cli_usage_error("%s%s '%s'%s", prefix, what, arg, tail);
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
    if (arg[strlen(name)] == '=' && !cli_looks_secret(name))
        return cli_usage_error("%s%s '%s'%s (its value is not shown)", prefix, what, name, tail);
    return cli_usage_error("%s%s (not shown: it looks like a connection string)%s", prefix, what,
                           tail);
}

static int is_negative_number(const char *s)
{
    if (s[0] != '-' || !s[1])
        return 0;
    for (s++; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Whether @p arg is an option whose argument is the next element. */
static int wants_next(const char *arg, const char *shortopts, const struct option *longopts)
{
    const char *p;

    if (arg[0] != '-' || !arg[1])
        return 0;
    if (arg[1] != '-') {
        /* a group such as "-qc": the first option taking an argument ends it */
        for (arg++; *arg; arg++) {
            p = *arg == ':' ? NULL : strchr(shortopts, *arg);
            if (p && p[1] == ':')
                return arg[1] == '\0';
        }
        return 0;
    }
    if (strchr(arg, '='))
        return 0;
    for (; longopts->name; longopts++)
        if (!strcmp(longopts->name, arg + 2))
            return longopts->has_arg == required_argument;
    return 0;
}

/*
 * Targets such as "-1" look like options to getopt.  Moves them after a
 * "--" (the existing one, or one appended) in a copy of argv.
 */
static int protect_targets(struct cli *cli, int *argc, char ***argv, const char *shortopts,
                           const struct option *longopts)
{
    int n = *argc, dashdash = n, k = 0, found = 0;
    char **in = *argv, **out;

    for (int i = 1; i < n && i < dashdash; i++) {
        if (!strcmp(in[i], "--"))
            dashdash = i;
        else if (is_negative_number(in[i]) && !wants_next(in[i - 1], shortopts, longopts))
            found = 1;
    }
    if (!found)
        return 0;
    out = calloc((size_t)n + 2, sizeof(*out));
    if (!out)
        return -1;
    for (int i = 0; i < dashdash; i++)
        if (i == 0 || !is_negative_number(in[i]) || wants_next(in[i - 1], shortopts, longopts))
            out[k++] = in[i];
    out[k++] = "--";
    for (int i = 1; i < dashdash; i++)
        if (is_negative_number(in[i]) && !wants_next(in[i - 1], shortopts, longopts))
            out[k++] = in[i];
    for (int i = dashdash + 1; i < n; i++)
        out[k++] = in[i];
    free(cli->argv_copy);
    cli->argv_copy = out;
    *argc = k;
    *argv = out;
    return 0;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, int key)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (key == (opts[i].short_name ? opts[i].short_name : KEY_CMD + i))
            return &opts[i];
    return NULL;
}

static int set_number(const struct cli_command *cmd, const struct cli_opt *o, const char *arg)
{
    char *end;
    unsigned long long v;

    if (arg[0] < '0' || arg[0] > '9')
        goto bad;
    v = strtoull(arg, &end, 10);
    if (*end || v > (size_t)-1)
        goto bad;
    *(size_t *)o->value = (size_t)v;
    return CLI_CONTINUE;
bad:
    return cli_usage_error("%s: --%s: not a number: '%s'", cmd->name, o->name, arg);
}

static int set_option(const struct cli_command *cmd, const struct cli_opt *o, const char *arg)
{
    struct cli_list *list;
    const char **items;

    switch (o->type) {
    case CLI_FLAG:
        *(int *)o->value = 1;
        return CLI_CONTINUE;
    case CLI_STRING:
        *(const char **)o->value = arg;
        return CLI_CONTINUE;
    case CLI_NUMBER:
        return set_number(cmd, o, arg);
    case CLI_LIST:
        list = o->value;
        items = realloc(list->items, (list->n + 1) * sizeof(*items));
        if (!items) {
            fputs("ultramigrate: out of memory\n", stderr);
            return CLI_EXIT_ERROR;
        }
        items[list->n++] = arg;
        list->items = items;
        return CLI_CONTINUE;
    }
    return CLI_EXIT_ERROR;
}

/*
 * Builds getopt's tables from @p opts and the global options, the
 * command's first: where both have a name (import-alembic's --name, the
 * global --name), getopt_long takes the first exact match, and find_opt()
 * looks at the command's options first for a short one (history's -n).
 */
static int build_tables(const struct cli_opt *opts, char *shortopts, size_t ssize,
                        struct option *longopts)
{
    static const struct option globals[] = { GLOBAL_LONGOPTS };
    size_t ng = sizeof(globals) / sizeof(globals[0]), nl = 0, ns;

    /* ':' first: a missing argument is reported as ':', not '?' */
    snprintf(shortopts, ssize, ":%s", global_shortopts);
    for (int i = 0; opts && opts[i].name; i++) {
        int has_arg = opts[i].type == CLI_FLAG ? no_argument : required_argument;

        if (nl + ng + 1 > MAX_LONGOPTS)
            return -1;
        longopts[nl].name = opts[i].name;
        longopts[nl].has_arg = has_arg;
        longopts[nl].flag = NULL;
        longopts[nl].val = opts[i].short_name ? opts[i].short_name : KEY_CMD + i;
        nl++;
        ns = strlen(shortopts);
        if (opts[i].short_name && ns + 3 < ssize) {
            shortopts[ns++] = (char)opts[i].short_name;
            if (has_arg == required_argument)
                shortopts[ns++] = ':';
            shortopts[ns] = '\0';
        }
    }
    memcpy(longopts + nl, globals, sizeof(globals));
    memset(&longopts[nl + ng], 0, sizeof(longopts[nl + ng]));
    return 0;
}

static int check_arg_count(const struct cli_command *cmd, int n)
{
    if (n < cmd->min_args)
        return cli_usage_error("%s: missing argument %s", cmd->name, cmd->args);
    if (cmd->max_args >= 0 && n > cmd->max_args)
        return cli_usage_error("%s: too many arguments%s", cmd->name,
                               strstr(cmd->args, "MESSAGE") ? " (quote a message that has spaces)"
                                                            : "");
    return CLI_CONTINUE;
}

int cli_parse(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
              const struct cli_opt *opts, char ***args, int *n_args)
{
    char shortopts[64];
    struct option longopts[MAX_LONGOPTS];
    char prefix[64];
    int key, rc;

    cli->connect_early = cmd->database;
    if (build_tables(opts, shortopts, sizeof(shortopts), longopts) < 0)
        return CLI_EXIT_ERROR;
    if (cmd->targets && protect_targets(cli, &argc, &argv, shortopts, longopts) < 0) {
        fputs("ultramigrate: out of memory\n", stderr);
        return CLI_EXIT_ERROR;
    }
    snprintf(prefix, sizeof(prefix), "%s: ", cmd->name);
    optind = 0; /* glibc: start afresh after the global pass */
    opterr = 0;
    while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const struct cli_opt *o;

        if (key == 'h') {
            cli_print_command_help(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (key == '?' || key == ':')
            return bad_option(prefix, key, argv);
        o = find_opt(opts, key);
        rc = o ? set_option(cmd, o, optarg) : global_option(cli, key);
        if (rc != CLI_CONTINUE)
            return rc;
    }
    *args = argv + optind;
    *n_args = argc - optind;
    return check_arg_count(cmd, *n_args);
}

/* Parses the options before the command; returns CLI_CONTINUE or a status. */
static int parse_globals(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = { GLOBAL_LONGOPTS,
                                              { "version", no_argument, NULL, KEY_VERSION },
                                              { NULL, 0, NULL, 0 } };
    char shortopts[32];
    int key, rc;

    /* '+': stop at the command; its options are parsed by cli_parse() */
    snprintf(shortopts, sizeof(shortopts), "+:%s", global_shortopts);
    opterr = 0;
    while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (key == 'h') {
            cli_print_help(stdout);
            return CLI_EXIT_OK;
        }
        if (key == KEY_VERSION) {
            /* after the other globals: -d or -c may follow it */
            cli->show_version = 1;
            continue;
        }
        if (key == '?' || key == ':')
            return bad_option("", key, argv);
        rc = global_option(cli, key);
        if (rc != CLI_CONTINUE)
            return rc;
    }
    return CLI_CONTINUE;
}

/*
 * A command lives for milliseconds, and lets go of large buffers (the
 * header cache's bytes, a query's rows) only to ask for as much again
 * soon after: malloc is told to keep what is freed for the next request
 * instead of handing it back to the kernel, and to grow the heap in large
 * steps, so that a page is faulted in once.  The heap so reserved is
 * offered transparent huge pages (where the kernel's setting is
 * "madvise" or "always"): a status of 10,000 revisions faulted 5,300
 * pages, 1.9 us each on a VM, 3,700 with the first step and about 1,300
 * with both.  Only whole 2 MB blocks can be huge, and one in which a page
 * was touched before the advice stays in 4 KB pages: the heap is grown
 * by a request one byte larger than what it has left (its new end is then
 * written just past the old one, not inside a block to be advised), and
 * the unaligned part below the first whole block is taken by heap_gap, a
 * block never written, so that what the command allocates starts in huge
 * pages (a status of 10,000 revisions faulted 1,040 pages before, about
 * 780 after).  glibc's own glibc.malloc.hugetlb tunable does much the
 * same, but is read from the environment before main.  Two arenas, one
 * for each thread the library runs: its second thread (lib/statahead.c)
 * makes about half the headers, one allocation each, and on a single
 * arena the two threads queued for its lock (a cold status of 10,000
 * revisions read its files in 13 ms with one arena, 9.3 ms with two, on a
 * 2-core VM).  The library, which runs in a host's process too, leaves
 * malloc as the host set it.
 */
static void *heap_gap;

static void tune_malloc(void)
{
#ifdef __GLIBC__
    const uintptr_t huge = (uintptr_t)2 << 20, page = 4096;

    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_TOP_PAD, 32 << 20);
    char *start = sbrk(0);
    void *volatile first = malloc(mallinfo2().keepcost + 1); /* it grows, by the pad */
    char *end = sbrk(0);
    free(first);
    /* the page holding the heap's new end header is left out */
    char *from = (char *)(((uintptr_t)start + page + huge - 1) & ~(huge - 1));
    if (start == (char *)-1 || end <= from)
        return;
    madvise(from, (size_t)(end - from), MADV_HUGEPAGE);
    /* (under valgrind or a sanitizer malloc's blocks are elsewhere: no gap) */
    char *probe = malloc(1);
    if (probe && probe < from && (size_t)(from - probe) <= huge + page)
        heap_gap = malloc((size_t)(from - probe) - 128);
    free(probe);
#endif
}

int main(int argc, char **argv)
{
    struct cli cli = { 0 };
    const struct cli_command *cmd;
    int rc;

    tune_malloc();
    rc = parse_globals(&cli, argc, argv);
    if (rc != CLI_CONTINUE)
        goto done;
    if (!cli.config_given && access(DEFAULT_CONFIG, F_OK) == 0)
        cli.config_path = DEFAULT_CONFIG;
    if (cli.show_version) {
        rc = cli_print_version(&cli);
        goto done;
    }
    if (optind >= argc) {
        rc = cli_usage_error("missing command");
        goto done;
    }
    cmd = cli_command_find(argv[optind]);
    if (!cmd) {
        rc = cli_looks_secret(argv[optind])
                 ? cli_usage_error("unknown command (not shown: it looks like a connection"
                                   " string; use -d URL or DATABASE_URL)")
                 : cli_usage_error("unknown command '%s'", argv[optind]);
        goto done;
    }
    cli_usage_context(cmd);
    rc = cmd->run(&cli, cmd, argc - optind, argv + optind);
done:
    free(cli.argv_copy);
    free(cli.database_url);
    free(heap_gap);
    return cli_finish_stdout(rc);
}
