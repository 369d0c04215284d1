/*
 * alembic.c - import-alembic: an Alembic project's revisions as revision
 * files with the same ids, and --check, which compares the two graphs.
 *
 * The work is done by ultramigrate-import-alembic, a Python program
 * installed beside this command: whoever has Alembic revisions has Python
 * and Alembic, and only Alembic's own API renders the SQL Alembic would run.
 * This file finds it, runs it, reads the JSON it prints and reports; the
 * library and the rest of the CLI have no Python in them.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER "ultramigrate-import-alembic"

const char cli_import_alembic_options[] =
    "  ALEMBIC_INI              Alembic's configuration (default: alembic.ini)\n"
    "  -n, --name SECTION       its section (default: alembic)\n"
    "      --check              compare the revision files with Alembic's revisions\n"
    "                           (ids, parents, dependencies, branch labels);\n"
    "                           write nothing\n";

/* import-alembic's options, and the exit status its body decides. */
struct import_state {
    const char *section;
    int check;
    int status;
};

/* The helper beside this program (a build tree, or an installed bindir),
 * else its bare name for execvp()'s PATH search. */
static void find_helper(char *path, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            snprintf(path, size, "%.*s/" HELPER, (int)(slash - self), self);
            if (access(path, X_OK) == 0)
                return;
        }
    }
    snprintf(path, size, "%s", HELPER);
}

/* Reads all of @fd into a string (free()); NULL when out of memory. */
static char *read_all(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;

    while (buf) {
        if (cap - len < 2048) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            continue;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/*
 * Runs the helper with @args (NULL-terminated, without its name); its
 * stdout in *out (free()), its stderr passed through.  Returns its exit
 * status, 127 when it could not be started.
 */
static int run_helper(const char *const args[], char **out)
{
    char helper[PATH_MAX];
    const char *argv[8] = { helper };
    int fds[2], status = 0;
    size_t i;
    pid_t pid;

    *out = NULL;
    find_helper(helper, sizeof(helper));
    for (i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
        argv[i + 1] = args[i];
    if (pipe(fds) != 0)
        return 127;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return 127;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "ultramigrate: cannot run %s: %s (it is installed with ultramigrate)\n",
                argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    *out = read_all(fds[0]);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs the helper and parses what it printed; NULL after saying why. */
static json_t *helper_json(const struct cli_call *call, const char *mode, const char *dir)
{
    struct import_state *st = call->state;
    const char *ini = call->n_args ? call->args[0] : "alembic.ini";
    const char *args[] = { "--alembic-ini", ini, "--name", st->section, mode, dir, NULL };
    json_error_t jerr;
    json_t *doc = NULL;
    char *out = NULL;
    int status = run_helper(args, &out);

    if (status == 0 && out)
        doc = json_loads(out, 0, &jerr);
    if (status == 0 && out && !doc)
        fprintf(stderr, "ultramigrate: %s printed what is not JSON: %s\n", HELPER, jerr.text);
    else if (status == 0 && !out)
        fputs("ultramigrate: out of memory\n", stderr);
    free(out);
    return doc;
}

static const char *member(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* "written", "kept" and "todo" of the helper's summary, as lines. */
static void print_summary(const struct cli *cli, json_t *summary)
{
    json_t *e;
    size_t i, n_todo = json_array_size(json_object_get(summary, "todo"));

    json_array_foreach(json_object_get(summary, "written"), i, e)
        printf("imported %s -> %s\n", member(e, "revision"), member(e, "file"));
    json_array_foreach(json_object_get(summary, "kept"), i, e)
        printf("kept %s: %s already exists\n", member(e, "revision"), member(e, "file"));
    json_array_foreach(json_object_get(summary, "todo"), i, e)
        fprintf(stderr,
                "ultramigrate: revision %s: the %s section could not be rendered offline"
                " (%s); its file says TODO and fails until written by hand\n",
                member(e, "revision"), member(e, "section"), member(e, "reason"));
    cli_info(cli, "Imported %zu revisions, kept %zu; %zu section%s to write by hand",
             json_array_size(json_object_get(summary, "written")),
             json_array_size(json_object_get(summary, "kept")), n_todo, n_todo == 1 ? "" : "s");
}

/* Whether the JSON array of ids @ids holds the same ids as @v[0..n). */
static int same_ids(json_t *ids, const char *const *v, size_t n)
{
    json_t *e;
    size_t i, k;

    if (json_array_size(ids) != n)
        return 0;
    json_array_foreach(ids, i, e)
    {
        for (k = 0; k < n && strcmp(v[k], json_string_value(e) ? json_string_value(e) : ""); k++)
            ;
        if (k == n)
            return 0;
    }
    return 1;
}

static const um_revision *find_revision(um_ctx *ctx, const char *id)
{
    const um_revision *rev;

    for (size_t i = 0; (rev = um_revision_at(ctx, i)); i++)
        if (!strcmp(rev->id, id))
            return rev;
    return NULL;
}

/* Prints each difference between Alembic's graph and the files; their count. */
static size_t compare_graphs(um_ctx *ctx, json_t *graph)
{
    size_t i, differences = 0;
    const um_revision *rev;
    json_t *e;

    json_array_foreach(graph, i, e)
    {
        const char *id = member(e, "revision");
        rev = find_revision(ctx, id);
        if (!rev)
            printf("missing %s: no revision file has it (%s)\n", id, member(e, "path"));
        else if (!same_ids(json_object_get(e, "parents"), rev->parents, rev->n_parents))
            printf("differs %s: its parents are not Alembic's (%s)\n", id, rev->path);
        else if (!same_ids(json_object_get(e, "depends_on"), rev->depends_on, rev->n_depends_on))
            printf("differs %s: its dependencies are not Alembic's (%s)\n", id, rev->path);
        else if (!same_ids(json_object_get(e, "branch_labels"), rev->branch_labels,
                           rev->n_branch_labels))
            printf("differs %s: its branch labels are not Alembic's (%s)\n", id, rev->path);
        else
            continue;
        differences++;
    }
    for (i = 0; (rev = um_revision_at(ctx, i)); i++) {
        size_t k;
        json_array_foreach(graph, k, e) if (!strcmp(member(e, "revision"), rev->id)) break;
        if (k == json_array_size(graph)) {
            printf("extra %s: Alembic has no such revision (%s)\n", rev->id, rev->path);
            differences++;
        }
    }
    return differences;
}

static int import_body(const struct cli_call *call)
{
    struct import_state *st = call->state;
    const char *versions = um_versions_dir(call->ctx);
    json_t *doc =
        helper_json(call, st->check ? "--graph" : "--versions", st->check ? NULL : versions);

    st->status = CLI_EXIT_ERROR;
    if (!doc)
        return UM_OK;
    if (st->check) {
        size_t differences = compare_graphs(call->ctx, doc);
        cli_info(call->cli, "%zu revision%s compared, %zu difference%s", json_array_size(doc),
                 json_array_size(doc) == 1 ? "" : "s", differences, differences == 1 ? "" : "s");
        st->status = differences ? CLI_EXIT_STATE : CLI_EXIT_OK;
        json_decref(doc);
        return UM_OK;
    }
    st->status = CLI_EXIT_OK;
    if (call->cli->json)
        return cli_print_json_value(doc);
    print_summary(call->cli, doc);
    json_decref(doc);
    return UM_OK;
}

int cli_cmd_import_alembic(struct cli *cli, const struct cli_command *cmd, int argc, char **argv)
{
    struct import_state st = { "alembic", 0, CLI_EXIT_OK };
    const struct cli_opt opts[] = { { "name", 'n', CLI_STRING, &st.section },
                                    { "check", 0, CLI_FLAG, &st.check },
                                    { NULL, 0, CLI_FLAG, NULL } };
    const struct engine_command ec = { opts, NULL, import_body, &st };
    int status = cli_run_on_engine(cli, cmd, argc, argv, &ec);

    return status != CLI_EXIT_OK ? status : st.status;
}
