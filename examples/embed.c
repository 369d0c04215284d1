/*
 * embed.c - how a host server migrates in-process at start up.
 *
 *   embed [CONFIG]      (default: ultramigrate.ini; the URL comes from the
 *                        configuration or DATABASE_URL)
 *
 * The start-up path of a host: open the engine, wait for the database (in a
 * container it may still be starting; EMBED_WAIT_SECONDS, default 30),
 * upgrade to every head, print the status.  SIGINT or SIGTERM during the
 * wait or the upgrade cancels it: the revision running rolls back.
 *
 * Several copies started at once (replicas of one deployment) all come up
 * and each revision is applied exactly once: um_upgrade() plans under the
 * migration lock, so the others wait for it, then find nothing to do.  They
 * wait at most the configuration's lock_wait (default 60s), which must
 * therefore exceed the longest upgrade, or the late ones fail with
 * UM_ELOCKED.
 *
 * It uses the public header only, as any host would; build it against an
 * installed library with
 *
 *   cc embed.c $(pkg-config --cflags --libs ultramigrate)
 */
#define _POSIX_C_SOURCE 200809L /* sigaction */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <ultramigrate/ultramigrate.h>

#define DEFAULT_WAIT_SECONDS 30

/* Set before the handlers are installed; um_cancel() is async-signal-safe. */
static um_ctx *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    um_cancel(running);
}

static void catch_signals(um_ctx *ctx)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = ctx ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (ctx)
        running = ctx;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void log_to_stderr(um_log_level level, const char *msg, void *payload)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    (void)payload;
    fprintf(stderr, "embed: %s: %s\n", names[level], msg);
}

static int print_step(const um_step_info *step, void *payload)
{
    (void)payload;
    if (step->phase == UM_STEP_DONE)
        fprintf(stderr, "embed: [%zu/%zu] %s %s (%.1f ms)\n", step->index + 1, step->total,
                step->direction == UM_UP ? "applied" : "reverted", step->revision,
                step->elapsed_ms);
    return 0; /* non-zero would cancel before the next revision */
}

static void print_status(um_ctx *ctx)
{
    um_status_info *st = NULL;
    if (um_status(&st, ctx) != UM_OK) {
        fprintf(stderr, "embed: status: %s\n", um_errmsg(ctx));
        return;
    }
    printf("database at:");
    for (size_t i = 0; i < um_status_current_head_count(st); i++)
        printf(" %s", um_status_current_head_at(st, i));
    printf("\napplied: %zu, pending: %zu\n", um_status_applied_count(st),
           um_status_pending_count(st));
    um_status_free(st);
}

/* EMBED_WAIT_SECONDS in milliseconds; -1 when it is not a whole number. */
static int wait_ms(void)
{
    const char *s = getenv("EMBED_WAIT_SECONDS");
    if (!s || !*s)
        return DEFAULT_WAIT_SECONDS * 1000;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > INT_MAX / 1000)
        return -1;
    return (int)v * 1000;
}

int main(int argc, char **argv)
{
    int timeout_ms = wait_ms();
    if (timeout_ms < 0) {
        fprintf(stderr, "embed: EMBED_WAIT_SECONDS: not a number of seconds\n");
        return EXIT_FAILURE;
    }

    um_open_options opts = UM_OPEN_OPTIONS_INIT;
    opts.config_path = argc > 1 ? argv[1] : "ultramigrate.ini";
    opts.log_cb = log_to_stderr;
    opts.log_level = UM_LOG_WARNING;
    opts.application_name = "embed-example";

    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &opts);
    if (rc == UM_OK) {
        catch_signals(ctx);
        rc = um_wait_for_database(ctx, timeout_ms);
    }
    if (rc == UM_OK) {
        um_apply_options apply = UM_APPLY_OPTIONS_INIT;
        apply.progress_cb = print_step;
        rc = um_upgrade(ctx, "heads", &apply);
    }
    catch_signals(NULL); /* before ctx goes away */
    if (rc != UM_OK) {
        const um_error_info *d = um_error_detail(ctx);
        /* a NULL handle: um_open() could not even allocate it */
        fprintf(stderr, "embed: %s\n", ctx ? um_errmsg(ctx) : um_strerror(rc));
        if (d && d->hint)
            fprintf(stderr, "embed: hint: %s\n", d->hint);
        if (rc == UM_ELOCKED)
            fprintf(stderr, "embed: hint: lock_wait must exceed the longest upgrade\n");
        um_close(ctx);
        return EXIT_FAILURE;
    }
    print_status(ctx);
    um_close(ctx);
    return EXIT_SUCCESS;
}
