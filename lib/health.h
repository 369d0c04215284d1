/*
 * health.h - the health snapshot's memory between calls.
 *
 * A snapshot costs one query: the version rows, the unfinished revisions
 * and the newest history id.  What needs more (checksums of every applied
 * revision, the newest applied one) is read again only when the history
 * id moved, that is after a run, and kept here in between.
 */
#ifndef LIB_HEALTH_H
#define LIB_HEALTH_H

#include "internal.h"

/* At um_close: drops the snapshot's statement from a borrowed connection
 * and frees the cache (ctx->health). */
void health_cache_free(um_ctx *ctx);

#endif
