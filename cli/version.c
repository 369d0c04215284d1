/*
 * version.c - ultramigrate --version: the command's and the library's
 * versions, libpq's, and the server's when the project names a database
 * that answers within VERSION_WAIT_S seconds.
 */
#include "cli.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --version must answer at once: a server that does not is left out. */
#define VERSION_WAIT_S 2

/* The handle SIGALRM cancels (a lock-free atomic: see output.c). */
static _Atomic(um_ctx *) alarm_ctx;

static void on_alarm(int sig)
{
    um_ctx *ctx = atomic_load(&alarm_ctx);

    (void)sig;
    if (ctx)
        um_cancel(ctx);
}

/* PQlibVersion's encoding: MAJOR * 10000 + MINOR from 10 on, before it
 * MAJOR * 10000 + MINOR * 100 + PATCH. */
static void print_libpq(int v)
{
    if (v >= 100000)
        printf("libpq %d.%d\n", v / 10000, v % 10000);
    else
        printf("libpq %d.%d.%d\n", v / 10000, v / 100 % 100, v % 100);
}

/* "server 16.4 (...)" when the project's database answers in time;
 * nothing otherwise: no project, no database, no answer. */
static void print_server(const struct cli *cli)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    struct sigaction sa, old;
    um_ctx *ctx = NULL;
    const char *server = NULL;

    o.config_path = cli->config_path;
    o.config_section = cli->section;
    o.database_url = cli->database_url;
    if (um_open(&ctx, &o) != UM_OK)
        goto done;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_alarm;
    atomic_store(&alarm_ctx, ctx);
    sigaction(SIGALRM, &sa, &old);
    alarm(VERSION_WAIT_S);
    if (um_server_version(&server, ctx) == UM_OK && server[0]) {
        fputs("server ", stdout);
        cli_print_text(stdout, server); /* the server's words: no control characters */
        fputc('\n', stdout);
    }
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    atomic_store(&alarm_ctx, NULL);
done:
    um_close(ctx);
}

int cli_print_version(const struct cli *cli)
{
    printf("ultramigrate %s (libultramigrate %s)\n", UM_VERSION_STRING, um_version());
    print_libpq(um_libpq_version());
    print_server(cli);
    return CLI_EXIT_OK;
}
