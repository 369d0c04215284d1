/*
 * autogen.h - what autogenerate (autogen.c) shares with the drift check
 * (drift.c): the configured database and the declared schema read into
 * models the same way, and compared with the same options, so that
 * `verify --drift` finds exactly what `auto --from-db` would write.
 */
#ifndef LIB_AUTOGEN_H
#define LIB_AUTOGEN_H

#include "autogen_diff.h"
#include "internal.h"
#include "schema_model.h"

/*
 * Reads the configured database (only read, as `auto --from-db` does) into
 * *@current, and the schema file (configuration's schema_file) loaded into
 * a scratch database into *@desired.  The scratch database is dropped
 * before this returns, whatever happened (error, um_cancel()).  @purpose
 * names the caller in messages ("the drift check").  To be called inside
 * a call on @ctx (pg_call_begin).  On failure the error is on @ctx
 * (UM_ECONFIG without schema_file, naming the key) and both are NULL.
 */
int autogen_read_models(um_ctx *ctx, const char *purpose, sm_model **current, sm_model **desired);

/* The differ's options from @ctx's configuration (compare_type,
 * compare_server_default), without a span callback. */
autogen_diff_options autogen_options_of(const um_ctx *ctx);

#endif
