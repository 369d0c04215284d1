/*
 * sqlfeed.h - a plain SQL backup given to psql on its standard input while
 * it is hashed, in a transaction that only a file matching its manifest
 * commits.
 *
 * psql runs without --single-transaction, which commits at the end of its
 * input, and an end of input comes too when ultramigrate dies half-way.
 * The feed opens the transaction itself (BEGIN before the file) and sends
 * COMMIT only once it has read all of the file and found the manifest's
 * size and SHA-256.  On a mismatch psql is stopped with its input still
 * open; however psql ends before the COMMIT, the transaction is still open
 * when its connection closes, and the server rolls it back.
 *
 * A line of the file that could end the transaction before that (pg_dump
 * writes COMMIT after large objects) is held back: the rest of the file is
 * hashed first, and the line goes only when the file matches.
 */
#ifndef LIB_SQLFEED_H
#define LIB_SQLFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* How much of the start of a line sqlfeed_line_may_end needs. */
#define SQLFEED_PEEK 64

typedef struct sqlfeed sqlfeed;

/* A feed of the file @path, which the manifest says has @size bytes and
 * the SHA-256 @sha256 (lowercase hex).  UM_EIO, UM_ENOMEM. */
int sqlfeed_open(sqlfeed **out, const char *path, uint64_t size, const char *sha256, err_buf *err);

/* pgtool_input with the feed as payload: BEGIN, the file, COMMIT; stops
 * psql (non-zero) when the file turns out not to match, or cannot be
 * read. */
int sqlfeed_input(void *feed, const char **data, size_t *len);

/*
 * The size and SHA-256 of the whole file, once psql has gone: what it did
 * not take is read now.  UM_EIO when the file could not be read.
 */
int sqlfeed_digest(sqlfeed *f, char hex[65], uint64_t *size, err_buf *err);

void sqlfeed_free(sqlfeed *f);

/*
 * Whether a line that starts with @line (all of it, or its first @len
 * bytes when @len is SQLFEED_PEEK) could end the transaction when psql
 * reads it: a statement that starts with COMMIT, END, ROLLBACK, ABORT or
 * PREPARE, or a psql command other than those pg_dump writes (\., \restrict,
 * \unrestrict); true too when it cannot tell.  Data lines (COPY) that look
 * like one only cost the overlap.  A transaction ended in the middle of a
 * line ("SELECT 1; COMMIT;") is not seen: pg_dump never writes one, and
 * damage does not make one; an edit can, and an edit can rewrite the
 * manifest too.
 */
bool sqlfeed_line_may_end(const char *line, size_t len);

#endif
