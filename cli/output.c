/*
 * output.c - printing for the ultramigrate command: errors and exit codes,
 * the log and progress callbacks (stderr), colour, JSON output, and
 * revisions laid out as Alembic shows them.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_exit_code(int rc)
{
    switch (rc) {
    case UM_OK:
        return CLI_EXIT_OK;
    case UM_ECONFIG:
    case UM_EVERSION:
        return CLI_EXIT_CONFIG;
    case UM_EPARSE:
    case UM_EGRAPH:
        return CLI_EXIT_REVISIONS;
    case UM_ETARGET:
    case UM_EIRREVERSIBLE:
        return CLI_EXIT_TARGET;
    case UM_ECONNECT:
    case UM_EAUTH: /* the exit code says "connection"; the message says which */
        return CLI_EXIT_CONNECT;
    case UM_ELOCKED:
        return CLI_EXIT_LOCKED;
    case UM_ESQL:
    case UM_ECANCELLED:
        return CLI_EXIT_MIGRATION;
    case UM_ECHECKSUM:
    case UM_ESTATE:
    case UM_ESTALE:
        return CLI_EXIT_STATE;
    case UM_EBACKUP:
        return CLI_EXIT_BACKUP;
    case UM_ELINT: /* as lint's own exit status for errors */
        return CLI_EXIT_LINT_ERRORS;
    case UM_ECONNLOST:
        return CLI_EXIT_CONNLOST;
    case UM_EBOOKKEEPING:
        return CLI_EXIT_BOOKKEEPING;
    case UM_EPOOLER:
        return CLI_EXIT_POOLER;
    default: /* UM_ERROR, UM_ENOMEM, UM_EINVAL, UM_EIO, unknown */
        return CLI_EXIT_ERROR;
    }
}

int cli_health_exit_code(um_health_status status)
{
    switch (status) {
    case UM_HEALTH_OK:
        return CLI_EXIT_OK;
    case UM_HEALTH_PENDING:
        return CLI_EXIT_PENDING;
    case UM_HEALTH_FAILED:
        return CLI_EXIT_FAILED;
    case UM_HEALTH_AHEAD:
        return CLI_EXIT_AHEAD;
    case UM_HEALTH_DIVERGED:
        return CLI_EXIT_DIVERGED;
    case UM_HEALTH_UNREACHABLE:
        return CLI_EXIT_UNREACHABLE;
    case UM_HEALTH_CANCELLED:
        return CLI_EXIT_CANCELLED;
    case UM_HEALTH_MIGRATING:
        return CLI_EXIT_MIGRATING;
    }
    return CLI_EXIT_ERROR; /* a status newer than this command */
}

/* ---- colour -------------------------------------------------------------- */

int cli_color_enabled(FILE *out)
{
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");

    return isatty(fileno(out)) && !(no_color && *no_color) && term && *term &&
           strcmp(term, "dumb") != 0;
}

void cli_color_begin(FILE *out, const char *sgr)
{
    if (sgr && cli_color_enabled(out))
        fprintf(out, "\033[%sm", sgr);
}

void cli_color_end(FILE *out, const char *sgr)
{
    if (sgr && cli_color_enabled(out))
        fputs("\033[0m", out);
}

const char *cli_state_color(const char *state)
{
    if (!state)
        return NULL;
    if (!strcmp(state, "ok") || !strcmp(state, "applied"))
        return CLI_GREEN;
    if (!strcmp(state, "failed"))
        return CLI_RED;
    if (!strcmp(state, "in_progress") || !strcmp(state, "cancelled"))
        return CLI_YELLOW;
    return NULL;
}

/* @label in @color, then @text as cli_print_text shows it. */
static void print_line(FILE *out, const char *color, const char *label, const char *text)
{
    char *shown = cli_scrubbed(text);

    cli_color_begin(out, color);
    fputs(label, out);
    cli_color_end(out, color);
    cli_print_text(out, shown || !text ? shown : "(message withheld: out of memory)");
    fputc('\n', out);
    free(shown);
}

void cli_print_error(const um_ctx *ctx, int rc)
{
    const um_error_info *d = ctx ? um_error_detail(ctx) : NULL;

    cli_stderr_begin();
    if (!d || d->code != rc || !d->message || !d->message[0]) {
        print_line(stderr, CLI_BOLD_RED, "ultramigrate: ", um_strerror(rc));
    } else {
        /* the message may quote a revision or the server, which may quote
         * anything: cli_print_text */
        print_line(stderr, CLI_BOLD_RED, "ultramigrate: ", d->message);
        if (d->detail)
            print_line(stderr, NULL, "DETAIL: ", d->detail);
        if (d->hint)
            print_line(stderr, NULL, "HINT: ", d->hint);
        if (d->sqlstate)
            fprintf(stderr, "SQLSTATE: %s\n", d->sqlstate);
    }
    cli_stderr_end();
}

static int level_shown(const struct cli *cli, um_log_level level)
{
    switch (cli->verbosity) {
    case CLI_QUIET:
        return level <= UM_LOG_ERROR;
    case CLI_VERBOSE:
        return 1;
    default:
        return level <= UM_LOG_INFO;
    }
}

void cli_log(um_log_level level, const char *msg, void *payload)
{
    static const char *const prefix[] = {
        [UM_LOG_ERROR] = "error: ",
        [UM_LOG_WARNING] = "warning: ",
        [UM_LOG_INFO] = "",
        [UM_LOG_DEBUG] = "debug: ",
    };

    static const char *const color[] = {
        [UM_LOG_ERROR] = CLI_RED,
        [UM_LOG_WARNING] = CLI_YELLOW,
        [UM_LOG_INFO] = NULL,
        [UM_LOG_DEBUG] = NULL,
    };
    const struct cli *cli = payload;

    if (!level_shown(cli, level) || level > UM_LOG_DEBUG)
        return;
    cli_stderr_begin();
    print_line(stderr, color[level], prefix[level], msg);
    cli_stderr_end();
}

void cli_info(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;

    if (!level_shown(cli, UM_LOG_INFO))
        return;
    cli_stderr_begin();
    va_start(ap, fmt);
    cli_vprint_scrubbed(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_stderr_end();
}

/* ---- progress and interruption ---------------------------------------- */

/*
 * The handle the signal handler cancels.  A lock-free atomic is one of the
 * few objects a handler may read (C11 7.14.1.1).
 */
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "a handler must read the handle");
static _Atomic(um_ctx *) interrupt_ctx;
static volatile sig_atomic_t interrupted;

/* SIGHUP too: a closed terminal or a dropped ssh session killed the CLI
 * while its backend went on with the revision, holding the lock. */
static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_INTERRUPT_SIGNALS (sizeof(interrupt_signals) / sizeof(interrupt_signals[0]))

static void on_interrupt(int sig)
{
    static const char msg[] = "\nultramigrate: interrupted; cancelling the run "
                              "(interrupt again to kill)\n";
    um_ctx *ctx = atomic_load(&interrupt_ctx);
    ssize_t n;

    (void)sig;
    /* any of them, a second time, kills at once */
    for (size_t i = 0; i < N_INTERRUPT_SIGNALS; i++)
        signal(interrupt_signals[i], SIG_DFL);
    interrupted = 1;
    /* cancel before writing: after a hangup, stderr may be a pipe whose
     * reader is gone, and the write's SIGPIPE would kill us first */
    if (ctx)
        um_cancel(ctx);
    n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)n;
}

static void set_interrupt_action(struct sigaction *sa)
{
    for (size_t i = 0; i < N_INTERRUPT_SIGNALS; i++)
        sigaction(interrupt_signals[i], sa, NULL);
}

void cli_interrupt_attach(um_ctx *ctx)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    /* the other signals wait for the handler, then find the default */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_INTERRUPT_SIGNALS; i++)
        sigaddset(&sa.sa_mask, interrupt_signals[i]);
    if (!ctx) {
        /* the default action first: no handler may see a closed handle */
        sa.sa_handler = SIG_DFL;
        set_interrupt_action(&sa);
        atomic_store(&interrupt_ctx, NULL);
        return;
    }
    interrupted = 0;
    atomic_store(&interrupt_ctx, ctx);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART;
    set_interrupt_action(&sa);
}

int cli_interrupted(void)
{
    return interrupted != 0;
}

/* C0 controls but newline and tab, DEL, and the C1 controls
 * (U+0080-U+009F, UTF-8 C2 80 to C2 9F) that terminals also obey; the
 * length of the one at @p, or 0. */
static size_t control_at(const unsigned char *p)
{
    if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
        return 1;
    return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f ? 2 : 0;
}

void cli_print_text(FILE *out, const char *s)
{
    if (!s)
        return;
    if (!isatty(fileno(out))) {
        fputs(s, out);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = control_at(p);
        if (!n) {
            fputc(*p++, out);
            continue;
        }
        for (size_t i = 0; i < n; i++)
            fprintf(out, "\\x%02x", p[i]);
        p += n;
    }
}

/* "Running upgrade A -> B, message" (downgrade: "B -> A"), as Alembic. */
static void print_running(const struct cli_progress *p, const um_step_info *step)
{
    const um_revision *rev = NULL;
    const char *msg = step->message ? step->message : "";

    if (um_revision_lookup(&rev, p->ctx, step->revision) != UM_OK)
        rev = NULL;
    if (step->direction == UM_UP) {
        fputs("Running upgrade ", stderr);
        if (rev)
            cli_print_parents(stderr, rev);
        else
            fputs("?", stderr);
        fprintf(stderr, " -> %s, ", step->revision);
    } else {
        fprintf(stderr, "Running downgrade %s -> ", step->revision);
        if (rev)
            cli_print_parents(stderr, rev);
        else
            fputs("?", stderr);
        fputs(", ", stderr);
    }
    cli_print_text(stderr, msg);
    fputc('\n', stderr);
}

static void record_step(struct cli_progress *p, const um_step_info *step)
{
    char **revs = realloc(p->revisions, (p->done + 1) * sizeof(*revs));
    double *durs;

    if (revs)
        p->revisions = revs;
    durs = realloc(p->durations, (p->done + 1) * sizeof(*durs));
    if (durs)
        p->durations = durs;
    if (!revs || !durs || !(revs[p->done] = strdup(step->revision))) {
        p->failed_alloc = 1;
        return;
    }
    durs[p->done++] = step->elapsed_ms;
}

/*
 * Besides um_cancel(), the callback stops the run itself: a signal between
 * two calls on the handle (after the wait, before the upgrade) is a request
 * the next call's start clears.
 */
int cli_progress(const um_step_info *step, void *payload)
{
    struct cli_progress *p = payload;

    if (step->phase == UM_STEP_START) {
        if (interrupted)
            return 1;
        cli_progress_line_step(step->index, step->total, step->revision);
        cli_stderr_begin();
        if (p->cli->verbosity != CLI_QUIET)
            print_running(p, step);
        cli_stderr_end();
    } else {
        p->committed += step->committed != 0;
        if (!p->failed_alloc)
            record_step(p, step);
        cli_stderr_begin();
        if (p->cli->verbosity == CLI_VERBOSE)
            fprintf(stderr, "  done in %.1f ms (%zu/%zu)\n", step->elapsed_ms, step->index + 1,
                    step->total);
        cli_stderr_end();
    }
    return interrupted ? 1 : 0;
}

void cli_progress_free(struct cli_progress *p)
{
    for (size_t i = 0; i < p->done; i++)
        free(p->revisions[i]);
    free(p->revisions);
    free(p->durations);
    p->revisions = NULL;
    p->durations = NULL;
    p->done = 0;
}

/* ---- JSON --------------------------------------------------------------- */

int cli_print_json_value(json_t *value)
{
    char *text;

    if (!value)
        return UM_ENOMEM;
    text = json_dumps(value, CLI_JSON_FLAGS);
    json_decref(value);
    if (!text)
        return UM_ENOMEM;
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    return UM_OK;
}

json_t *cli_json_append(json_t *a, json_t *value)
{
    if (json_array_append_new(a, value) == 0)
        return a;
    json_decref(a);
    return NULL;
}

int cli_print_json(char *json)
{
    size_t n;

    if (!json)
        return UM_ENOMEM;
    n = strlen(json);
    if (cli_put_stdout(json) == 0 && (!n || json[n - 1] != '\n'))
        cli_put_stdout("\n");
    um_free(json);
    return UM_OK;
}

/* ---- standard output ------------------------------------------------------ */

/* The error of the first write to standard output that failed; 0: none. */
static int stdout_errno;

int cli_put_stdout(const char *s)
{
    if (fputs(s, stdout) != EOF)
        return 0;
    if (!stdout_errno)
        stdout_errno = errno;
    return -1;
}

int cli_flush_stdout(void)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    if (!stdout_errno)
        stdout_errno = errno;
    return -1;
}

int cli_finish_stdout(int rc)
{
    if (cli_flush_stdout() == 0)
        return rc;
    if (stdout_errno)
        fprintf(stderr,
                "ultramigrate: cannot write to standard output: %s; the output is"
                " incomplete\n",
                strerror(stdout_errno));
    else
        fputs("ultramigrate: cannot write to standard output; the output is incomplete\n", stderr);
    return rc == CLI_EXIT_OK ? CLI_EXIT_ERROR : rc;
}

/* ---- lint findings ------------------------------------------------------ */

void cli_print_lint_findings(FILE *out, const um_lint_result *r, int errors_only)
{
    const um_lint_finding *f;

    for (size_t i = 0; (f = um_lint_at(r, i)); i++)
        if (!errors_only || f->severity == UM_LINT_ERROR)
            fprintf(out, "%s:%d:%d: %s: %s [%s]\n", f->file, f->line, f->column,
                    f->severity == UM_LINT_ERROR ? "error" : "warning", f->message, f->rule);
}

/* The lint document of @r as a JSON value; json null for no result. */
static json_t *lint_json(const um_lint_result *r)
{
    char *text;
    json_t *doc;

    if (!r)
        return json_null();
    text = um_lint_to_json(r);
    doc = text ? json_loads(text, 0, NULL) : NULL;
    um_free(text);
    return doc;
}

int cli_lint_generated(const struct cli_call *call, const char *path, json_t **json)
{
    um_lint_result *r = NULL;
    int rc = um_lint_generated(&r, call->ctx, path);

    if (rc != UM_OK && rc != UM_ELINT)
        return rc;
    if (json)
        *json = lint_json(r);
    else
        cli_print_lint_findings(stderr, r, call->cli->verbosity == CLI_QUIET);
    um_lint_free(r);
    return json && !*json ? UM_ENOMEM : rc;
}

/* ---- revisions ---------------------------------------------------------- */

const char *cli_head_mark(const um_revision *rev)
{
    if (!rev->is_head)
        return "";
    return rev->has_dependents ? " (effective head)" : " (head)";
}

/* Alembic's marks: the one-line form puts (current) before the tree marks,
 * the block ("show", log_entry) after them and says just (head). */
static const char *revision_marks(const um_revision *rev, int flags, int block, char *buf,
                                  size_t size)
{
    int tree = block || (flags & CLI_LINE_TREE);
    snprintf(buf, size, "%s%s%s%s%s", block ? (rev->is_head ? " (head)" : "") : cli_head_mark(rev),
             !block && (flags & CLI_LINE_CURRENT) ? " (current)" : "",
             tree && rev->is_branch_point ? " (branchpoint)" : "",
             tree && rev->is_merge ? " (mergepoint)" : "",
             block && (flags & CLI_LINE_CURRENT) ? " (current)" : "");
    return buf;
}

static void print_list(FILE *out, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? ", " : "", v[i]);
}

void cli_print_parents(FILE *out, const um_revision *rev)
{
    if (rev->n_parents == 0)
        fputs("<base>", out);
    else
        print_list(out, rev->parents, rev->n_parents);
}

/* The labels @rev carries, "a, b"; 0 when it carries none (or they cannot
 * be worked out: they are then left out). */
static size_t branch_labels(um_ctx *ctx, const um_revision *rev, const char *const **labels)
{
    size_t n = 0;
    if (um_revision_branch_labels(labels, &n, ctx, rev) != UM_OK)
        return 0;
    return n;
}

void cli_print_revision_line(FILE *out, um_ctx *ctx, const um_revision *rev, int flags,
                             int id_width)
{
    const char *const *labels;
    size_t n_labels = branch_labels(ctx, rev, &labels);
    char marks[96];

    if (flags & CLI_LINE_PARENTS) {
        cli_print_parents(out, rev);
        if (rev->n_depends_on) {
            fputs(" (", out);
            print_list(out, rev->depends_on, rev->n_depends_on);
            fputc(')', out);
        }
        fputs(" -> ", out);
    }
    /* padded only when something follows on the line */
    int more = n_labels || rev->is_head || (flags & (CLI_LINE_CURRENT | CLI_LINE_DOC));
    fprintf(out, "%-*s", more ? id_width : 0, rev->id);
    if (n_labels) {
        fputs(" (", out);
        print_list(out, labels, n_labels);
        fputc(')', out);
    }
    fputs(revision_marks(rev, flags, 0, marks, sizeof(marks)), out);
    if (flags & CLI_LINE_DOC) {
        fputs(", ", out);
        cli_print_text(out, rev->message);
    }
    fputc('\n', out);
}

/* "Branches into: a, b" lists the children; the graph has no accessor. */
static void print_children(FILE *out, const um_ctx *ctx, const um_revision *rev)
{
    const um_revision *r;
    size_t shown = 0;

    fputs("Branches into: ", out);
    for (size_t i = 0; (r = um_revision_at(ctx, i)); i++)
        for (size_t j = 0; j < r->n_parents; j++)
            if (!strcmp(r->parents[j], rev->id))
                fprintf(out, "%s%s", shown++ ? ", " : "", r->id);
    fputc('\n', out);
}

void cli_print_revision_block(FILE *out, um_ctx *ctx, const um_revision *rev, int flags)
{
    const char *const *labels;
    size_t n_labels = branch_labels(ctx, rev, &labels);
    char marks[96];

    fprintf(out, "Rev: %s%s\n", rev->id, revision_marks(rev, flags, 1, marks, sizeof(marks)));
    fputs(rev->is_merge ? "Merges: " : "Parent: ", out);
    cli_print_parents(out, rev);
    fputc('\n', out);
    if (rev->n_depends_on) {
        fputs("Also depends on: ", out);
        print_list(out, rev->depends_on, rev->n_depends_on);
        fputc('\n', out);
    }
    if (rev->is_branch_point)
        print_children(out, ctx, rev);
    if (n_labels) {
        fputs("Branch names: ", out);
        print_list(out, labels, n_labels);
        fputc('\n', out);
    }
    fputs("Path: ", out);
    cli_print_text(out, rev->path);
    fputs("\n\n    ", out);
    cli_print_text(out, rev->message);
    fputs("\n\n", out);
    fprintf(out, "    Revision ID: %s\n    Revises:%s", rev->id, rev->n_parents ? " " : "");
    print_list(out, rev->parents, rev->n_parents);
    fprintf(out, "\n    Create Date:%s%s\n", rev->create_date ? " " : "",
            rev->create_date ? rev->create_date : "");
    if (!rev->has_down)
        fputs("    Irreversible: no down section\n", out);
}
