/*
 * pgtool.h - PostgreSQL's client programs (pg_dump, pg_restore, psql) as
 * the backup module runs them: where they are, which version they are,
 * and the environment that connects them as the handle is connected.
 */
#ifndef LIB_PGTOOL_H
#define LIB_PGTOOL_H

#include "internal.h"

/* One client program, found. */
typedef struct pgtool {
    char *path;       /* full path */
    char version[32]; /* "15.6", as its --version says */
} pgtool;

/*
 * Finds the program @name: in pg_bin_dir when it is set (and only there:
 * a setting that is wrong is an error, not a hint), else in the server's
 * major version's directory under /usr/lib/postgresql (Debian, PGDG's
 * apt) or /usr/pgsql-MAJOR (PGDG's rpm), else on PATH; then reads its
 * version.  Connects (the server's version picks the directory).
 * UM_EBACKUP names where it looked.
 */
int pgtool_find(um_ctx *ctx, const char *name, pgtool *out);
void pgtool_free(pgtool *tool);

/* pgtool_find in two halves, so that the version, which takes a child
 * process, can be read while the caller does something else: locating
 * (out->path; connects) and reading the version, which touches nothing of
 * the handle and may run on another thread.  UM_EBACKUP. */
int pgtool_locate(um_ctx *ctx, const char *name, pgtool *out);
int pgtool_read_version(pgtool *tool, err_buf *err);

/* UM_EBACKUP, naming both versions, when @tool is older than the server. */
int pgtool_check_not_older(um_ctx *ctx, const pgtool *tool);

/* The handle's connection as a child program gets it. */
typedef struct pgtool_conn {
    char **envp;      /* the caller's environment without libpq's connection variables,
                         plus the connection's parameters in them (the password as
                         PGPASSWORD); NULL-terminated */
    char *dbname_arg; /* "--dbname=dbname='app' ...": the parameters libpq has no
                         variable for; never a secret */
    char *database;   /* for messages */
    char *host;
    char *port;
} pgtool_conn;

int pgtool_conn_build(um_ctx *ctx, pgtool_conn *out);
void pgtool_conn_free(pgtool_conn *conn);

/* Called about every PROC_TICK_MS while a program runs; non-zero stops it. */
typedef int (*pgtool_tick)(void *payload);

/*
 * Runs @tool with @args (NULL-terminated, without the program's name) in
 * @conn's environment.  UM_OK when it exits 0; else UM_EBACKUP with the end
 * of its stderr, or UM_ECANCELLED when @tick (or um_cancel()) stopped it.
 */
int pgtool_run(um_ctx *ctx, const pgtool *tool, const char *const *args, const pgtool_conn *conn,
               pgtool_tick tick, void *payload);

/* Feeds a program's stdin: proc_spec.input. */
typedef int (*pgtool_input)(void *payload, const char **data, size_t *len);

/* pgtool_run with @input feeding the program's stdin; @payload goes to
 * @tick and @input.  When @input stops the program, UM_ECANCELLED, as for
 * @tick: the caller that knows why says so. */
int pgtool_run_fed(um_ctx *ctx, const pgtool *tool, const char *const *args,
                   const pgtool_conn *conn, pgtool_tick tick, pgtool_input input, void *payload);

#endif
