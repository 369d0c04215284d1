/*
 * progress_line.c - the line at the foot of a terminal that says how far
 * an upgrade or downgrade has got: "[3/10] 4b1c2d3e5f60  12.4 s".
 *
 * A revision that builds an index on a large table runs for minutes
 * without a callback; the line is redrawn by a thread of its own, so that
 * an operator sees the run is alive and which revision holds it.  It is
 * shown only on a terminal (never in a log file or a pipe), only once the
 * run has lasted a second (short runs stay as Alembic prints them), and
 * never with --quiet or TERM=dumb.
 *
 * Whatever else the command prints to stderr while the line may be up
 * goes between cli_stderr_begin() and cli_stderr_end(): they hold
 * stderr's stdio lock, which the drawing thread takes too, and wipe the
 * line first, so that text and line never mix.
 */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHOW_AFTER_MS   1000.0 /* runs shorter than this never show it */
#define REDRAW_EVERY_MS 250L

static struct {
    pthread_t thread;
    pthread_mutex_t mutex; /* guards the fields below but "shown" */
    pthread_cond_t wake;
    int running; /* the thread was started */
    int stop;
    double start_ms;
    size_t index, total;
    char revision[UM_HEALTH_ID_SIZE];
    int shown; /* a line is on the screen; under stderr's lock */
} line = { .mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Erases the line; stderr's lock is held. */
static void wipe(void)
{
    if (!line.shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    line.shown = 0;
}

/* Draws the line from a copy of the state; stderr's lock is not held. */
static void draw(size_t index, size_t total, const char *revision, double elapsed_ms)
{
    flockfile(stderr);
    fprintf(stderr, "\r\033[K[%zu/%zu] %s  %.1f s", index + 1, total, revision,
            elapsed_ms / 1000.0);
    fflush(stderr);
    line.shown = 1;
    funlockfile(stderr);
}

static void *redraw_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&line.mutex);
    while (!line.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += REDRAW_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&line.wake, &line.mutex, &until);
        double elapsed = monotonic_ms() - line.start_ms;
        if (line.stop || !line.total || elapsed < SHOW_AFTER_MS)
            continue;
        size_t index = line.index, total = line.total;
        char revision[sizeof(line.revision)];
        memcpy(revision, line.revision, sizeof(revision));
        /* never wait for stderr while holding the state: the main thread
         * may hold stderr and want the state */
        pthread_mutex_unlock(&line.mutex);
        draw(index, total, revision, elapsed);
        pthread_mutex_lock(&line.mutex);
    }
    pthread_mutex_unlock(&line.mutex);
    return NULL;
}

int cli_progress_line_wanted(const struct cli *cli)
{
    const char *term = getenv("TERM");
    return cli->verbosity != CLI_QUIET && isatty(STDERR_FILENO) && term && *term &&
           strcmp(term, "dumb") != 0;
}

void cli_progress_line_start(const struct cli *cli)
{
    if (line.running || !cli_progress_line_wanted(cli))
        return;
    line.stop = 0;
    line.start_ms = monotonic_ms();
    line.index = line.total = 0;
    line.revision[0] = '\0';
    /* without the thread there is no line: nothing else changes */
    line.running = pthread_create(&line.thread, NULL, redraw_loop, NULL) == 0;
}

void cli_progress_line_step(size_t index, size_t total, const char *revision)
{
    if (!line.running)
        return;
    pthread_mutex_lock(&line.mutex);
    line.index = index;
    line.total = total;
    snprintf(line.revision, sizeof(line.revision), "%s", revision ? revision : "");
    pthread_mutex_unlock(&line.mutex);
}

void cli_progress_line_stop(void)
{
    if (!line.running)
        return;
    pthread_mutex_lock(&line.mutex);
    line.stop = 1;
    pthread_cond_signal(&line.wake);
    pthread_mutex_unlock(&line.mutex);
    pthread_join(line.thread, NULL);
    line.running = 0;
    flockfile(stderr);
    wipe();
    funlockfile(stderr);
}

void cli_progress_line_show(const char *text)
{
    flockfile(stderr);
    fprintf(stderr, "\r%s\033[K", text);
    fflush(stderr);
    line.shown = 1;
    funlockfile(stderr);
}

void cli_progress_line_wipe(void)
{
    cli_stderr_begin();
    cli_stderr_end();
}

void cli_stderr_begin(void)
{
    flockfile(stderr);
    wipe();
}

void cli_stderr_end(void)
{
    funlockfile(stderr);
}
