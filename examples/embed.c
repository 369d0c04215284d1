/*
 * embed.c - how a host server migrates in-process at start up.
 *
 *   embed [CONFIG]      (default: ultramigrate.ini; the URL comes from the
 *                        configuration or DATABASE_URL)
 *
 * It opens the engine, upgrades to every head under the migration lock
 * (several copies started at once each apply every revision exactly once:
 * the others wait for the lock, then find nothing to do), and prints the
 * status.  It uses the public header only, as any host would; build it
 * against an installed library with
 *
 *   cc embed.c $(pkg-config --cflags --libs ultramigrate)
 */
#include <stdio.h>
#include <stdlib.h>

#include <ultramigrate/ultramigrate.h>

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
    if (um_status(ctx, &st) != UM_OK) {
        fprintf(stderr, "embed: status: %s\n", um_errmsg(ctx));
        return;
    }
    printf("database at:");
    for (size_t i = 0; i < st->n_current_heads; i++)
        printf(" %s", st->current_heads[i]);
    printf("\napplied: %zu, pending: %zu\n", st->n_applied, st->n_pending);
    um_status_free(st);
}

int main(int argc, char **argv)
{
    um_open_options opts = UM_OPEN_OPTIONS_INIT;
    opts.config_path = argc > 1 ? argv[1] : "ultramigrate.ini";
    opts.log_cb = log_to_stderr;
    opts.log_level = UM_LOG_WARNING;
    opts.application_name = "embed-example";

    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &opts);
    if (rc == UM_OK) {
        um_apply_options apply = UM_APPLY_OPTIONS_INIT;
        apply.progress_cb = print_step;
        rc = um_upgrade(ctx, "heads", &apply);
    }
    if (rc != UM_OK) {
        const struct um_error_detail *d = um_error_detail(ctx);
        fprintf(stderr, "embed: %s\n", um_errmsg(ctx));
        if (d && d->hint)
            fprintf(stderr, "embed: hint: %s\n", d->hint);
        um_close(ctx);
        return EXIT_FAILURE;
    }
    print_status(ctx);
    um_close(ctx);
    return EXIT_SUCCESS;
}
