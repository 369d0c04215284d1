/*
 * scratch.h - throwaway databases for autogenerate: created with a unique
 * name (ultramigrate_scratch_<pid>_<random>) on the configured server, or
 * on shadow_database_url's when set, and always dropped afterwards.
 *
 * The server is reached through a handle of its own (an admin handle), not
 * the host's: after um_cancel() the host's connection may still be
 * receiving the server's cancel, and the drop must not be what it cancels.
 * Each scratch database gets a handle too; while it lives, um_cancel() of
 * the host's handle is forwarded to it (pg_cancel_forward).
 */
#ifndef LIB_SCRATCH_H
#define LIB_SCRATCH_H

#include "internal.h"

/* The name prefix of every scratch database. */
#define SCRATCH_PREFIX "ultramigrate_scratch_"

/* The admin handle on the server the scratch databases live on. */
typedef struct scratch_server scratch_server;

/* A scratch database and the handle connected to it. */
typedef struct scratch_db {
    char *name;  /* unquoted */
    um_ctx *ctx; /* its own handle, the parent's revisions and version table */
} scratch_db;

/*
 * Opens the admin handle: on shadow_database_url when @ctx's configuration
 * names one, else on the connection @ctx itself would make (its resolved
 * parameters).  Errors are recorded on @ctx.
 */
int scratch_server_open(um_ctx *ctx, scratch_server **out);
void scratch_server_close(scratch_server *srv);

/*
 * CREATE DATABASE with a new unique name, and a handle on it that
 * um_cancel(@ctx) reaches.  On failure nothing is left behind and @db is
 * empty.
 */
int scratch_db_create(scratch_server *srv, um_ctx *ctx, scratch_db *db);

/*
 * Closes @db's handle and drops the database (WITH (FORCE), on the admin
 * handle, whatever happened before); @db is then empty.  A failure is
 * logged on @ctx as a warning naming the database and returned; the error
 * already on @ctx is kept.  An empty @db is UM_OK.
 */
int scratch_db_drop(scratch_server *srv, um_ctx *ctx, scratch_db *db);

#endif
