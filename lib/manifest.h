/*
 * manifest.h - the JSON file beside each backup (FILE.json: docs/json.md)
 * and the um_backup_info it describes: the SHA-256 of a backup file,
 * writing a manifest, reading one back, rendering either as JSON.
 */
#ifndef LIB_MANIFEST_H
#define LIB_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define MANIFEST_SUFFIX ".json"

/*
 * Lowercase hex SHA-256 and size of the file @path, read once; with @sync
 * the file is fsynced in the same pass.  UM_EIO.
 */
int manifest_digest(const char *path, bool sync, char hex[65], uint64_t *size, err_buf *err);

/*
 * The same, for a file that another process is still appending to and
 * never rewrites (pg_dump's plain SQL): manifest_hasher_catch_up reads what
 * was appended since the last call, so that the hashing runs while the
 * file is written; manifest_hasher_finish reads the rest.  With @flush
 * (a file finish will sync), the writeback of what was read is started as
 * it goes.  An error is kept until finish reports it (UM_EIO).
 */
typedef struct manifest_hasher manifest_hasher;
int manifest_hasher_open(manifest_hasher **out, const char *path, bool flush, err_buf *err);
void manifest_hasher_catch_up(manifest_hasher *h);
/* Reads and hashes the next bytes of the file, a chunk at most, for a
 * caller that uses them too: *data is the hasher's buffer, valid until its
 * next use; *len is 0 at the end of the file or after an error, which
 * finish reports.  finish hashes what was not read this way. */
void manifest_hasher_read(manifest_hasher *h, const char **data, size_t *len);
int manifest_hasher_finish(manifest_hasher *h, bool sync, char hex[65], uint64_t *size,
                           err_buf *err);
void manifest_hasher_free(manifest_hasher *h);

/* Writes @b's manifest (b->manifest_path): under a temporary name, mode
 * 0600, synced, renamed.  The caller syncs the directory.  UM_EIO. */
int manifest_write(const um_backup_info *b, err_buf *err);

/*
 * Reads b->manifest_path into the other fields of @b (b->path and
 * b->manifest_path are the caller's).  UM_EIO when it cannot be read,
 * UM_EPARSE when it is not a manifest of this format.
 */
int manifest_read(um_backup_info *b, err_buf *err);

/* Frees the strings of @b, not @b itself. */
void manifest_info_clear(um_backup_info *b);

/* "custom", "plain". */
const char *manifest_format_name(um_backup_format format);

/*
 * @b as a JSON object: the manifest's fields, and with @full its path,
 * check and duration too.  NULL on failure (whole or nothing).
 */
json_t *manifest_object(const um_backup_info *b, bool full);

/* Dumps and releases @root as every renderer of the library does; NULL on
 * failure or for a NULL @root. */
char *manifest_dump(json_t *root);

/* A JSON array of @n strings; NULL on failure. */
json_t *manifest_strings(const char *const *v, size_t n);

#endif
