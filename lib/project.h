/*
 * project.h - new revision files, for the modules that write one with
 * SQL already in it (autogenerate).
 */
#ifndef LIB_PROJECT_H
#define LIB_PROJECT_H

#include "internal.h"

/*
 * um_generate() (its checks, id, parents, template and file name) with
 * @up and @down (NULL: none) written under the "-- migrate:up" and
 * "-- migrate:down" markers of the rendered template; a template without
 * a down marker gets one at the end.
 */
int project_generate(char **out, um_ctx *ctx, const um_generate_options *opts, const char *up,
                     const char *down);

#endif
