/*
 * internal.h - the real definitions of the public opaque types, shared by
 * the modules of lib/.  Nothing here is exported.
 */
#ifndef LIB_INTERNAL_H
#define LIB_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <ultramigrate/ultramigrate.h>

#include "config.h"
#include "error.h"
#include "graph.h"

struct pg_conn;   /* libpq's PGconn; only pg.c looks inside */
struct pg_cancel; /* libpq's PGcancel */
struct health_cache;

struct um_ctx {
    config_settings cfg;
    log_sink log;
    err_buf err;
    graph_dag *graph;
    um_revision *revisions; /* public views, one per graph index */
    char *versions_dir;     /* script_location/versions */
    char *application_name;
    char host[256];        /* this machine, recorded with each step */
    struct pg_conn *conn;  /* NULL until the first call that needs it */
    struct pg_conn *early; /* a connection started by connect_early */
    bool owns_conn;        /* false: the host's (um_open_options.pg_conn) */
    bool locked;           /* we hold the migration advisory lock */
    /* um_cancel() may run in another thread or a signal handler: it only
     * touches these atomics.  cancel_users counts the um_cancel() calls in
     * flight, so that a reconnect never frees a cancel object in use. */
    atomic_int cancel_requested;
    _Atomic(struct pg_cancel *) cancel;
    atomic_int cancel_users;
    atomic_int busy;      /* a call that runs SQL is under way */
    int open_rc;          /* um_open's result: a failed handle only explains */
    int backend_pid;      /* the session cancel and prepared flags are for */
    bool health_prepared; /* the health query is prepared on conn */
    /* Its name, unique per handle: handles that share a borrowed
     * connection must not run each other's query. */
    char health_statement[64];
    bool steps_prepared;         /* the step bookkeeping is prepared on conn */
    struct health_cache *health; /* what the last health snapshot learnt */
    /* Quoted, schema-qualified names of the bookkeeping tables; built once
     * connected (quoting needs the connection). */
    char *version_table;
    char *applied_table;
    char *history_table;
};

/* Results the host reads through accessors (ultramigrate.h): their layout
 * is private, so that the public element structs can grow. */
struct um_status_info {
    char **current_heads; /* version table rows */
    size_t n_current_heads;
    char **file_heads; /* heads of the revision graph */
    size_t n_file_heads;
    um_applied *applied; /* in apply order, oldest first */
    size_t n_applied;
    const um_revision **pending; /* in the order an upgrade to heads would apply them */
    size_t n_pending;
};

struct um_history_list {
    um_history_entry *entries; /* oldest first */
    size_t count;
};

struct um_plan {
    const um_ctx *ctx; /* the handle it was made with */
    um_direction direction;
    char *target;
    um_step *steps;
    size_t *graph_index; /* graph index of each step */
    size_t n_steps;
};

/*
 * The start of every public call that uses the graph: a handle whose
 * um_open failed keeps that error readable and does nothing else.
 */
#define CTX_ENTER(ctx)                                                                             \
    do {                                                                                           \
        if (!(ctx))                                                                                \
            return UM_EINVAL;                                                                      \
        if ((ctx)->open_rc)                                                                        \
            return (ctx)->open_rc;                                                                 \
        err_clear(&(ctx)->err);                                                                    \
    } while (0)

/* Records an error on the handle (see err_set). */
#define ctx_error(ctx, code, file, line, rev, ...)                                                 \
    err_set(&(ctx)->err, (code), (file), (line), (rev), __VA_ARGS__)

/* Frees a plan's contents; used by um_plan_free and by apply. */
void plan_free(um_plan *plan);

/*
 * Computes a plan from a state already read (see store.h).  Shared by
 * um_plan_create and the locked paths of apply.
 */
struct store_state;
int plan_build(um_ctx *ctx, const struct store_state *state, um_direction dir, const char *target,
               um_plan **out);

#endif
