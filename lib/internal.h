/*
 * internal.h - the real definitions of the public opaque types, shared by
 * the modules of lib/.  Nothing here is exported.
 */
#ifndef LIB_INTERNAL_H
#define LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <ultramigrate/ultramigrate.h>

#include "config.h"
#include "error.h"
#include "graph.h"

/* Each module keeps its state in a struct of its own, defined in its .c
 * file: what it prepared or took on the connection is keyed by the
 * session's generation (pg_generation) and cleaned up by the module. */
struct pg_session;
struct store_session;
struct lock_session;
struct health_cache;
struct branch_members;

struct um_ctx {
    config_settings cfg;
    log_sink log;
    err_buf err;
    host_guard guard; /* a callback of the host is running (error.h) */
    int open_rc;      /* um_open's result: a failed handle only explains */
    graph_dag *graph;
    um_revision *revisions;                /* public views, one per graph index */
    char *versions_dir;                    /* script_location/versions */
    char *config_section;                  /* um_open's, to open a sibling handle (roundtrip) */
    struct pg_session *pg;                 /* the connection and its server session (pg.c) */
    struct store_session *store;           /* table names, prepared steps (store.c) */
    struct lock_session *lock;             /* the migration lock held (lock.c) */
    struct health_cache *health;           /* what the last health snapshot learnt (health.c) */
    struct branch_members *branch_members; /* each revision's labels, on first use (branch.c) */
};

/* Results the host reads through accessors (ultramigrate.h): their layout
 * is private, so that the public element structs can grow.  A status
 * (struct um_status_info) is defined in status.c, around the state it was
 * read from.  A result's strings point into the query's rows or into the
 * graph (it must not outlive its handle). */
struct pg_rows;

struct um_history_list {
    um_history_entry *entries; /* oldest first */
    size_t count;
    struct pg_rows *rows; /* owns the entries' strings */
};

struct um_plan {
    const um_ctx *ctx; /* the handle it was made with */
    um_direction direction;
    char *target;
    um_step *steps;
    size_t *graph_index; /* graph index of each step */
    size_t n_steps;
    unsigned char *applied; /* graph_count bytes: the applied set it was planned from */
    bool tables_exist;      /* the bookkeeping tables were there (else a run creates them) */
    bool adopting;          /* another tool's version table: a run adopts it first */
};

/*
 * The start of every public call that uses the graph: a handle whose
 * um_open failed keeps that error readable and does nothing else.  Called
 * from a callback of a call running on the handle, only the calls the
 * callback may make go on (CTX_ENTER_IN_CALLBACK); the others fail with
 * UM_EINVAL and leave the handle's error to the running call.
 */
#define CTX_ENTER_IN_CALLBACK(ctx)                                                                 \
    do {                                                                                           \
        if (!(ctx))                                                                                \
            return UM_EINVAL;                                                                      \
        if ((ctx)->open_rc)                                                                        \
            return (ctx)->open_rc;                                                                 \
        err_clear(&(ctx)->err);                                                                    \
    } while (0)

#define CTX_ENTER(ctx)                                                                             \
    do {                                                                                           \
        if ((ctx) && !(ctx)->open_rc && (ctx)->guard.depth)                                        \
            return UM_EINVAL;                                                                      \
        CTX_ENTER_IN_CALLBACK(ctx);                                                                \
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

/*
 * Runs @action under the migration lock on the state read there, the
 * bookkeeping tables made or upgraded first (apply.c; stamp, repair).
 */
typedef int (*locked_action)(um_ctx *ctx, const struct store_state *st, const void *arg);
int apply_locked(um_ctx *ctx, locked_action action, const void *arg);

#endif
