/*
 * script.h - one revision file: its header, its up/down sections and the
 * SHA-256 checksum of its up section.
 *
 * The format (see docs/revision-files.md):
 *
 *   -- Add user preferences                 <- message: first header line
 *   --
 *   -- Revision ID: 3f1c9a2b7d10            <- required, [A-Za-z0-9_-]{1,32}
 *   -- Revises: 9b0e4d55c2aa                <- empty: base; "a, b": merge
 *   -- Depends On: 77aa00bb11cc             <- optional, comma separated
 *   -- Branch Labels: audit, billing        <- optional: names of the branch
 *   -- Create Date: 2025-05-01 12:00:00+00  <- optional
 *   -- Transactional: yes                   <- optional: yes/no/true/false
 *
 *   -- migrate:up
 *   CREATE TABLE ...;
 *
 *   -- migrate:down                         <- optional: absent = irreversible
 *   DROP TABLE ...;
 *
 * Only the header is kept in memory; a section's SQL is read again when it
 * is applied (script_read_section), so memory does not grow with history.
 */
#ifndef LIB_SCRIPT_H
#define LIB_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define SCRIPT_ID_MAX 32 /* the version table's varchar(32), as Alembic */

typedef struct script_file {
    char *path; /* as given to script_parse_file */
    char *id;
    char *message;  /* "" when the header has none */
    char **parents; /* Revises */
    size_t n_parents;
    char **depends_on;
    size_t n_depends_on;
    char **branch_labels; /* Branch Labels: ids, as revision ids are */
    size_t n_branch_labels;
    char *create_date;     /* NULL when absent */
    bool transactional;    /* default true */
    bool has_down;         /* the down marker is present */
    char checksum[65];     /* lowercase hex SHA-256 of the up section, normalised
                         * (script_checksum_matches) */
    char checksum_raw[65]; /* ... of its bytes as they are: what releases before
                            * the normalisation stored, still accepted */
    int up_line;           /* 1-based line of the "-- migrate:up" marker */
    int down_line;         /* 1-based line of the down marker, 0 if none */
} script_file;

/*
 * Reads and parses @path.  On failure returns UM_EPARSE (malformed: the
 * error names the file and the line), UM_EIO (unreadable) or UM_ENOMEM,
 * with *out NULL.
 */
int script_parse_file(const char *path, script_file **out, err_buf *err);

/* Parses text already in memory; @path is used in messages and kept. */
int script_parse_buffer(const char *path, const char *text, size_t len, script_file **out,
                        err_buf *err);

/*
 * A copy of @f in one allocation, which script_free frees: its strings
 * and id lists, wherever they are, are copied after the struct.  Every
 * script_file handed out is made so.  NULL when out of memory.
 */
script_file *script_pack(const script_file *f);

/*
 * A script_file made with one copy of its strings, as the header cache
 * keeps them: @strings, @len bytes, holds the id, the message, the create
 * date (when @fixed->create_date is not NULL: any pointer says there is
 * one), then @fixed's n_parents, n_depends_on and n_branch_labels ids,
 * each NUL-terminated; the other fields come from @fixed, and @path is
 * copied.  NULL when out of memory or when @strings is not that (a
 * string missing or left over, an id not valid).
 */
script_file *script_unpack(const script_file *fixed, const char *strings, size_t len,
                           const char *path);

void script_free(script_file *s);

/* Frees the @n scripts of @v (NULL entries skipped), then @v. */
void script_free_array(script_file **v, size_t n);

/*
 * Reads the file again and returns one section's SQL (the text after the
 * marker line up to the next marker or the end, malloc'd, NUL-terminated)
 * and the 1-based file line of its first character in *first_line.
 * For the up section the checksum is verified against s->checksum:
 * UM_ECHECKSUM when the file changed since it was parsed.  The down section
 * of a revision without one is UM_EIRREVERSIBLE.
 */
int script_read_section(const script_file *s, bool up, char **sql, int *first_line, err_buf *err);

/*
 * Whether @stored, a checksum recorded when the revision was applied,
 * matches the file: its normalised checksum (line endings CRLF read as LF,
 * trailing line breaks dropped, so that a checkout on another system is not
 * an edit) or the raw one older databases hold.  NULL @stored: false.
 */
bool script_checksum_matches(const script_file *s, const char *stored);

/* Lowercase hex SHA-256 of @len bytes (out: 65 bytes). */
void script_sha256_hex(const void *data, size_t len, char out[65]);

/* true when @id is a valid revision id: [A-Za-z0-9_-], 1..32 chars. */
bool script_valid_id(const char *id);

/* The header key ("Revises", "Branch Labels", ...) that the comment text
 * @text (what follows "--") reads as, in its file's spelling; NULL when it
 * is no "Key: value" line of a known key. */
const char *script_header_key(const char *text);

/* true for what a revision id or a branch label may not be: head, heads,
 * base, current (targets of their own), or a name that starts with '-'
 * (a relative step, as in "downgrade -1"). */
bool script_reserved_name(const char *name);

#define SCRIPT_RESERVED_WHY                                                                        \
    "head, heads, base and current are targets of their own, and a leading '-' is a relative"      \
    " step (downgrade -1)"

/*
 * Reads every "*.sql" file in @dir (not recursing, skipping dot files),
 * sorted by file name.  *out receives a malloc'd array of parsed scripts.
 * Fails with the first bad file's error.  With @use_cache, the headers of
 * files unchanged since the last read come from the directory's header
 * cache (header_cache.h), which is brought up to date.
 */
int script_read_dir(const char *dir, bool use_cache, script_file ***out, size_t *n, err_buf *err);

/* script_read_dir calling @tick(@arg) now and then while it reads (the
 * engine moves its early connection on: pg_poll_early). */
typedef void script_tick_fn(void *arg);
int script_read_dir_ticking(const char *dir, bool use_cache, script_tick_fn *tick, void *arg,
                            script_file ***out, size_t *n, err_buf *err);

#endif
