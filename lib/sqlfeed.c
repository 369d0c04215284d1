/*
 * sqlfeed.c - see sqlfeed.h.
 */
#include "sqlfeed.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manifest.h"

/* What goes before and after the file.  The newline before COMMIT ends a
 * last line that has none. */
#define FEED_BEGIN  "BEGIN;\n"
#define FEED_COMMIT "\nCOMMIT;\n"
/* The reads of what follows a held-back line. */
#define REST_CHUNK (128 << 10)

typedef enum feed_state {
    FEED_START,  /* BEGIN next */
    FEED_STREAM, /* the file, hashed as it goes */
    FEED_REST,   /* the file matched: the rest, from where the stream stopped */
    FEED_END,    /* COMMIT sent */
} feed_state;

struct sqlfeed {
    manifest_hasher *h;
    char *path;
    uint64_t want_size;
    char want_sha256[65];
    feed_state state;
    const char *chunk; /* what the hasher read and has not gone, in its buffer */
    size_t chunk_len;
    bool at_line_start;       /* chunk starts a line */
    char carry[SQLFEED_PEEK]; /* the start of a line the last chunk ended in */
    size_t carry_len;
    bool hold;     /* the next line may end the transaction */
    uint64_t sent; /* bytes of the file gone to psql */
    int rest_fd;   /* FEED_REST's reads */
    char *rest;
    /* the digest, once the whole file is hashed */
    bool digested;
    int digest_rc;
    char hex[65];
    uint64_t size;
    err_buf err;
};

static const char *const enders[] = { "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE" };
/* psql's commands in pg_dump's files: the end of COPY data, and the
 * restricted mode of pg_dump 15.14 and later (where psql refuses any
 * other command). */
static const char *const dump_commands[] = { "\\restrict ", "\\unrestrict " };

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

static bool is_dump_command(const char *p, size_t n)
{
    if (n >= 2 && p[0] == '\\' && p[1] == '.' && (n == 2 || (n == 3 && p[2] == '\r')))
        return true;
    for (size_t i = 0; i < sizeof(dump_commands) / sizeof(dump_commands[0]); i++)
        if (n > strlen(dump_commands[i]) &&
            memcmp(p, dump_commands[i], strlen(dump_commands[i])) == 0)
            return true;
    return false;
}

bool sqlfeed_line_may_end(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    /* too few bytes left after the blanks to read a first word */
    if (len >= SQLFEED_PEEK && len - i < 16)
        return true;
    if (i < len && line[i] == '\\')
        return !is_dump_command(line + i, len - i);
    size_t w = 0;
    while (i + w < len && is_word_char(line[i + w]))
        w++;
    for (size_t k = 0; k < sizeof(enders) / sizeof(enders[0]); k++)
        if (w == strlen(enders[k]) && strncasecmp(line + i, enders[k], w) == 0)
            return true;
    return false;
}

/* ---- the feed ----------------------------------------------------------- */

void sqlfeed_free(sqlfeed *f)
{
    if (!f)
        return;
    manifest_hasher_free(f->h);
    if (f->rest_fd >= 0)
        close(f->rest_fd);
    free(f->rest);
    free(f->path);
    err_clear(&f->err);
    free(f);
}

int sqlfeed_open(sqlfeed **out, const char *path, uint64_t size, const char *sha256, err_buf *err)
{
    sqlfeed *f = calloc(1, sizeof(*f));
    *out = NULL;
    if (!f)
        return err_nomem(err);
    f->rest_fd = -1;
    f->at_line_start = true;
    f->want_size = size;
    snprintf(f->want_sha256, sizeof(f->want_sha256), "%s", sha256 ? sha256 : "");
    f->path = strdup(path);
    int rc = f->path ? manifest_hasher_open(&f->h, path, false, err) : err_nomem(err);
    if (rc) {
        sqlfeed_free(f);
        return rc;
    }
    *out = f;
    return UM_OK;
}

/* Hashes what is left of the file, once. */
static void digest(sqlfeed *f)
{
    if (f->digested)
        return;
    f->digested = true;
    f->digest_rc = manifest_hasher_finish(f->h, false, f->hex, &f->size, &f->err);
}

static bool matches(sqlfeed *f)
{
    digest(f);
    return !f->digest_rc && f->size == f->want_size && strcmp(f->hex, f->want_sha256) == 0;
}

/* The start of the line after @p, or @end. */
static const char *next_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : end;
}

/*
 * How many bytes of the pending chunk can go: those before the first line
 * that may end the transaction (setting hold), or before the start of a
 * line too short to judge at its end (kept in carry), or all.
 */
static size_t safe_prefix(sqlfeed *f)
{
    const char *p = f->chunk, *end = f->chunk + f->chunk_len;
    const char *line = f->at_line_start ? p : next_line(p, end);
    while (line < end) {
        size_t avail = (size_t)(end - line);
        size_t peek = avail < SQLFEED_PEEK ? avail : SQLFEED_PEEK;
        const char *nl = memchr(line, '\n', peek);
        if (!nl && avail < SQLFEED_PEEK) {
            memcpy(f->carry, line, avail);
            f->carry_len = avail;
            return (size_t)(line - p);
        }
        if (sqlfeed_line_may_end(line, nl ? (size_t)(nl - line) : peek)) {
            f->hold = true;
            return (size_t)(line - p);
        }
        line = nl ? nl + 1 : next_line(line + peek, end);
    }
    return f->chunk_len;
}

/*
 * The carry and the start of the new chunk: the carry goes when its line
 * is judged harmless; it grows when the chunk is too short to judge it.
 * True when *data holds something to send.
 */
static bool judge_carry(sqlfeed *f, const char **data, size_t *len)
{
    char line[SQLFEED_PEEK];
    size_t take = SQLFEED_PEEK - f->carry_len;
    if (take > f->chunk_len)
        take = f->chunk_len;
    memcpy(line, f->carry, f->carry_len);
    memcpy(line + f->carry_len, f->chunk, take);
    size_t n = f->carry_len + take;
    const char *nl = memchr(line, '\n', n);
    if (!nl && n < SQLFEED_PEEK) {
        memcpy(f->carry, line, n);
        f->carry_len = n;
        f->chunk_len = 0;
        return false;
    }
    if (sqlfeed_line_may_end(line, nl ? (size_t)(nl - line) : n)) {
        f->hold = true;
        return false;
    }
    *data = f->carry;
    *len = f->carry_len;
    f->sent += f->carry_len;
    f->carry_len = 0;
    f->at_line_start = false;
    return true;
}

/* The next part of the file from the hasher; false when there is none to
 * send now (held, or the end of the file). */
static bool stream_next(sqlfeed *f, const char **data, size_t *len)
{
    while (!f->hold) {
        if (f->chunk_len == 0) {
            manifest_hasher_read(f->h, &f->chunk, &f->chunk_len);
            if (f->chunk_len == 0)
                return false;
            if (f->carry_len > 0 && judge_carry(f, data, len))
                return true;
            if (f->chunk_len == 0 || f->hold)
                continue;
        }
        size_t n = safe_prefix(f);
        bool whole = n == f->chunk_len && !f->hold && f->carry_len == 0;
        *data = f->chunk;
        *len = n;
        f->sent += n;
        f->at_line_start = whole ? f->chunk[n - 1] == '\n' : true;
        f->chunk += n;
        f->chunk_len = whole ? 0 : f->chunk_len - n;
        if (f->carry_len > 0)
            f->chunk_len = 0;
        if (n > 0)
            return true;
    }
    return false;
}

/* What follows a held line, read again now that the file matched. */
static int rest_next(sqlfeed *f, const char **data, size_t *len)
{
    if (f->rest_fd < 0) {
        f->rest = malloc(REST_CHUNK);
        f->rest_fd = f->rest ? open(f->path, O_RDONLY | O_CLOEXEC) : -1;
        if (f->rest_fd < 0)
            return -1;
    }
    ssize_t n;
    do
        n = pread(f->rest_fd, f->rest, REST_CHUNK, (off_t)f->sent);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    f->sent += (uint64_t)n;
    *data = f->rest;
    *len = (size_t)n;
    return 0;
}

int sqlfeed_input(void *feed, const char **data, size_t *len)
{
    sqlfeed *f = feed;
    *len = 0;
    switch (f->state) {
    case FEED_START:
        f->state = FEED_STREAM;
        *data = FEED_BEGIN;
        *len = strlen(FEED_BEGIN);
        return 0;
    case FEED_STREAM:
        if (stream_next(f, data, len))
            return 0;
        /* held, or at the end: the file must match before anything else goes */
        if (!matches(f))
            return -1;
        f->state = FEED_REST;
        /* fall through */
    case FEED_REST:
        if (rest_next(f, data, len))
            return -1;
        if (*len > 0)
            return 0;
        /* a file that grew since it was hashed is not the one verified */
        if (f->sent != f->size)
            return -1;
        f->state = FEED_END;
        *data = FEED_COMMIT;
        *len = strlen(FEED_COMMIT);
        return 0;
    case FEED_END:
        return 0;
    }
    return -1;
}

int sqlfeed_digest(sqlfeed *f, char hex[65], uint64_t *size, err_buf *err)
{
    digest(f);
    if (f->digest_rc)
        return err_set(err, f->digest_rc, NULL, 0, NULL, "%s", f->err.d.message);
    memcpy(hex, f->hex, sizeof(f->hex));
    *size = f->size;
    return UM_OK;
}
