/*
 * health_server.c - a host's health endpoint for its database migrations.
 *
 *   health_server PORT [CONFIG]   (CONFIG default: ultramigrate.ini; the URL
 *                                  comes from the configuration or DATABASE_URL)
 *
 * Serves GET /health on 127.0.0.1:PORT (0: a free port) with the JSON of a
 * health snapshot (um_health_to_json(), docs/json.md).  Prints "listening on
 * 127.0.0.1:PORT" on stdout once it accepts connections; stops cleanly on
 * SIGINT or SIGTERM.
 *
 * The engine is opened once, at start: the revision files are those the
 * deployed program shipped with, and each request costs one query.
 *
 * Threads: the handle may be used by one thread at a time, so the server
 * runs libmicrohttpd's single internal polling thread, which is the only
 * thread that calls into the handle (um_cancel() excepted, which any thread
 * may call).
 *
 * Build against an installed library with
 *
 *   cc health_server.c $(pkg-config --cflags --libs ultramigrate libmicrohttpd)
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, sigwait */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <ultramigrate/ultramigrate.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result; /* before 0.9.71 handlers returned int */
#else
typedef enum MHD_Result MHD_Result;
#endif

static void log_to_stderr(um_log_level level, const char *msg, void *payload)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    (void)payload;
    fprintf(stderr, "health_server: %s: %s\n", names[level], msg);
}

/*
 * The HTTP status of a snapshot.  The migrations are not critical to the
 * host (the JSON says "critical": false), but a probe reading only the
 * status code must still see a problem.  A rolling deploy passes through
 * "pending" (new files, database not upgraded yet) and "ahead" (old files,
 * database already upgraded by a newer replica): both are expected, so
 * 200; so are "migrating" (a replica is upgrading right now, such as a
 * long CREATE INDEX CONCURRENTLY: "pending" with the work under way) and
 * "cancelled" (a replica stopped mid-upgrade, a SIGTERM of the same
 * deploy, left nothing half done: the next replica goes on), which must
 * not page anyone.  "failed", "diverged" and "unreachable" need a human:
 * 503.
 */
static unsigned int http_status(um_health_status status)
{
    switch (status) {
    case UM_HEALTH_OK:
    case UM_HEALTH_PENDING:
    case UM_HEALTH_AHEAD:
    case UM_HEALTH_CANCELLED:
    case UM_HEALTH_MIGRATING:
        return MHD_HTTP_OK;
    case UM_HEALTH_FAILED:
    case UM_HEALTH_DIVERGED:
    case UM_HEALTH_UNREACHABLE:
        break;
    }
    return MHD_HTTP_SERVICE_UNAVAILABLE;
}

static MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *content_type,
                        const char *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    MHD_Result ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static MHD_Result serve_health(struct MHD_Connection *conn, um_ctx *ctx)
{
    um_health h = UM_HEALTH_INIT;
    if (um_health_snapshot(&h, ctx) != UM_OK)
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "snapshot failed\n");
    char *json = um_health_to_json(&h);
    if (!json)
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n");
    MHD_Result ret = reply(conn, http_status(h.status), "application/json", json);
    um_free(json);
    return ret;
}

static MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                         const char *method, const char *version, const char *upload_data,
                         size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    if (strcmp(url, "/health") != 0)
        return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
    /* HEAD is GET without the body, which libmicrohttpd drops itself. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
    return serve_health(conn, cls);
}

/* PORT as a number 0-65535, or -1. */
static long parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v < 0 || v > 65535 ? -1 : v;
}

int main(int argc, char **argv)
{
    long port = argc >= 2 && argc <= 3 ? parse_port(argv[1]) : -1;
    if (port < 0) {
        fprintf(stderr, "usage: health_server PORT [CONFIG]   (PORT 0: any free port)\n");
        return 2;
    }

    um_open_options opts = UM_OPEN_OPTIONS_INIT;
    opts.config_path = argc > 2 ? argv[2] : "ultramigrate.ini";
    opts.log_cb = log_to_stderr;
    opts.log_level = UM_LOG_WARNING;
    opts.application_name = "health-server-example";
    um_ctx *ctx = NULL;
    int rc = um_open(&ctx, &opts);
    if (rc != UM_OK) {
        fprintf(stderr, "health_server: %s\n", ctx ? um_errmsg(ctx) : um_strerror(rc));
        um_close(ctx);
        return EXIT_FAILURE;
    }

    /* Blocked here, so in every thread: main takes them with sigwait(). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                         NULL, NULL, handle, ctx, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info) {
        fprintf(stderr, "health_server: cannot listen on 127.0.0.1:%ld\n", port);
        if (d)
            MHD_stop_daemon(d);
        um_close(ctx);
        return EXIT_FAILURE;
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned int)info->port);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    fprintf(stderr, "health_server: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    um_cancel(ctx); /* a snapshot's query under way ends now, not at its timeout */
    MHD_stop_daemon(d);
    um_close(ctx);
    return EXIT_SUCCESS;
}
