/*
 * textfile.h - opening and reading the text files the engine is given
 * (revision files, the configuration, the revision template) so that no
 * file can hang it or exhaust its memory: a FIFO would block open() and
 * read() forever, a link to /dev/zero never ends, a huge or binary file
 * would be read whole before anything looks at it.  Each is opened
 * without blocking, must be a regular file under a size cap, and is
 * found binary from its first block.
 */
#ifndef LIB_TEXTFILE_H
#define LIB_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "error.h"
#include "strbuf.h"

/* The caps, documented in docs/configuration.md ("Limits"). */
#define TEXTFILE_REVISION_MAX ((size_t)64 << 20) /* a revision file */
#define TEXTFILE_CONFIG_MAX   ((size_t)1 << 20)  /* the configuration, the template */

/* What a kind of file may be, and how its errors are reported. */
typedef struct textfile_kind {
    size_t cap;         /* the most bytes it may hold */
    int code;           /* not a regular file, too big or binary */
    int io_code;        /* cannot be opened or read */
    const char *cannot; /* "cannot read": the words before strerror() */
} textfile_kind;

extern const textfile_kind textfile_revision; /* UM_EPARSE, UM_EIO */
extern const textfile_kind textfile_config;   /* UM_ECONFIG */
extern const textfile_kind textfile_template; /* UM_EIO */

/* How much is read and looked at before the rest of a file. */
#define TEXTFILE_FIRST_BLOCK ((size_t)64 << 10)

/*
 * Opens @name, relative to @dirfd (AT_FDCWD: a path), for reading without
 * blocking, and checks that it is a regular file within @kind's cap: *@fd
 * and its size in *@size, or an error naming @path.  With @missing_ok, a
 * file that does not exist is UM_OK with *@fd -1.
 */
int textfile_open(int *fd, size_t *size, int dirfd, const char *name, const char *path,
                  const textfile_kind *kind, bool missing_ok, err_buf *err);

/* textfile_open() giving the open file's whole stat in *@st (its size is
 * st_size), as the header cache keys a file by it. */
int textfile_open_stat(int *fd, struct stat *st, int dirfd, const char *name, const char *path,
                       const textfile_kind *kind, bool missing_ok, err_buf *err);

/*
 * Reads the @size bytes (textfile_open's) of @fd into @buf, which holds
 * @size + 2, NUL-terminated, *@len: the first block is looked at before
 * the rest is read; a file that grew past @size
 * is refused.  Whether the rest is text is the caller's to check.
 */
int textfile_read_fd(int fd, const char *path, size_t size, const textfile_kind *kind, char *buf,
                     size_t *len, err_buf *err);

/*
 * Offset of the first byte of @text that is not UTF-8 text (NUL, an
 * invalid or overlong sequence); @len when it is all text.  With
 * @partial, @text is a first block that may end inside a character:
 * that last incomplete character is not held against it.
 */
size_t textfile_binary_at(const char *text, size_t len, bool partial);

/* Appends @s to @sb with each byte that is not UTF-8 text (or is a
 * control character) written as \xHH: a name fit for a message and JSON. */
void textfile_escape(strbuf *sb, const char *s);

/* The 1-based line of byte @off of @text. */
int textfile_line_of(const char *text, size_t off);

/* Records "not a text file (binary content at byte N)" at N's line. */
int textfile_binary_error(err_buf *err, int code, const char *path, const char *text, size_t off);

/*
 * Reads all of @path (textfile_open's checks) and checks it is text:
 * *@out (NUL-terminated, free()) and *@len.  With @missing_ok, a missing
 * file is UM_OK with *@out NULL.
 */
int textfile_read(char **out, size_t *len, const char *path, const textfile_kind *kind,
                  bool missing_ok, err_buf *err);

#endif
