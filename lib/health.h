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

struct health_cache;

void health_cache_free(struct health_cache *c);

#endif
