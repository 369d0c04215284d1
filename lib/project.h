/*
 * project.h - new revision files, for the modules that write one with
 * SQL already in it (autogenerate).
 */
#ifndef LIB_PROJECT_H
#define LIB_PROJECT_H

#include "internal.h"

/* Reads a whole text file into *@out (malloc'd); *@out NULL and UM_OK when
 * it does not exist, UM_EIO naming it when it cannot be read. */
int project_read_optional_file(const char *path, char **out, err_buf *err);

/*
 * um_generate() (its checks, id, parents, template and file name) with
 * @up and @down (NULL: none) written under the "-- migrate:up" and
 * "-- migrate:down" markers of the rendered template; a template without
 * a down marker gets one at the end.
 */
int project_generate(char **out, um_ctx *ctx, const um_generate_options *opts, const char *up,
                     const char *down);

#endif
