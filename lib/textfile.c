/*
 * textfile.c - bounded, non-blocking reading of the files the engine is
 * given (see textfile.h).
 */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const textfile_kind textfile_revision = { TEXTFILE_REVISION_MAX, UM_EPARSE, UM_EIO, "cannot read" };
const textfile_kind textfile_config = { TEXTFILE_CONFIG_MAX, UM_ECONFIG, UM_ECONFIG,
                                        "cannot read configuration" };
const textfile_kind textfile_template = { TEXTFILE_CONFIG_MAX, UM_EIO, UM_EIO, "cannot read" };

static const char *kind_of(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* "64 MB" for a cap that is a whole number of megabytes. */
static void describe_cap(size_t cap, char out[32])
{
    if (cap % ((size_t)1 << 20) == 0)
        snprintf(out, 32, "%zu MB", cap >> 20);
    else
        snprintf(out, 32, "%zu bytes", cap);
}

int textfile_open(int *fd, size_t *size, int dirfd, const char *name, const char *path,
                  const textfile_kind *kind, bool missing_ok, err_buf *err)
{
    struct stat st;
    int rc = textfile_open_stat(fd, &st, dirfd, name, path, kind, missing_ok, err);
    *size = !rc && *fd >= 0 ? (size_t)st.st_size : 0;
    return rc;
}

int textfile_open_stat(int *fd, struct stat *stp, int dirfd, const char *name, const char *path,
                       const textfile_kind *kind, bool missing_ok, err_buf *err)
{
    /* O_NONBLOCK: open() of a FIFO without a writer returns at once */
    int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    char limit[32];
    int rc;
    *fd = -1;
    if (f < 0)
        return missing_ok && errno == ENOENT ? UM_OK
                                             : err_set(err, kind->io_code, path, 0, NULL, "%s: %s",
                                                       kind->cannot, strerror(errno));
    if (fstat(f, &st) != 0) {
        rc = err_set(err, kind->io_code, path, 0, NULL, "%s: %s", kind->cannot, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        /* as read() would say */
        rc = err_set(err, kind->io_code, path, 0, NULL, "%s: %s", kind->cannot, strerror(EISDIR));
    } else if (!S_ISREG(st.st_mode)) {
        rc = err_set(err, kind->code, path, 0, NULL, "%s: it is %s, not a regular file",
                     kind->cannot, kind_of(st.st_mode));
    } else if ((size_t)st.st_size > kind->cap) {
        describe_cap(kind->cap, limit);
        rc = err_set(err, kind->code, path, 0, NULL,
                     "is %lld bytes, more than the %s such a file may hold", (long long)st.st_size,
                     limit);
    } else {
        *fd = f;
        *stp = st;
        return UM_OK;
    }
    close(f);
    return rc;
}

/* Length of the valid UTF-8 sequence at @p, 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid); -1 when the
 * bytes left end before a sequence that is valid so far does. */
static long utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (i >= left)
            return -1;
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF))
            return 0;
    }
    return (long)n;
}

size_t textfile_binary_at(const char *text, size_t len, bool partial)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        long n = utf8_seq(u + i, len - i);
        if (n < 0 && partial)
            return len;
        if (n <= 0)
            return i;
        i += (size_t)n;
    }
    return len;
}

void textfile_escape(strbuf *sb, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        long n = utf8_seq(u + i, len - i);
        if (n > 0 && u[i] >= 0x20 && u[i] != 0x7f) {
            sb_append(sb, s + i, (size_t)n);
            i += (size_t)n;
        } else {
            sb_printf(sb, "\\x%02x", u[i]);
            i++;
        }
    }
}

int textfile_line_of(const char *text, size_t off)
{
    int no = 1;
    for (size_t i = 0; i < off; i++)
        no += text[i] == '\n';
    return no;
}

int textfile_binary_error(err_buf *err, int code, const char *path, const char *text, size_t off)
{
    return err_set(err, code, path, textfile_line_of(text, off), NULL,
                   "not a text file (binary content at byte %zu)", off);
}

int textfile_read_fd(int fd, const char *path, size_t size, const textfile_kind *kind, char *buf,
                     size_t *len, err_buf *err)
{
    *len = 0;
    for (;;) {
        /* one byte more than fstat said, to see a file that grew */
        size_t want =
            *len == 0 && size > TEXTFILE_FIRST_BLOCK ? TEXTFILE_FIRST_BLOCK : size + 1 - *len;
        ssize_t r = read(fd, buf + *len, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_set(err, kind->io_code, path, 0, NULL, "%s: %s", kind->cannot,
                           strerror(errno));
        if (*len == 0 && r > 0) {
            size_t bad = textfile_binary_at(buf, (size_t)r, true);
            if (bad < (size_t)r)
                return textfile_binary_error(err, kind->code, path, buf, bad);
        }
        *len += (size_t)r;
        /* a short read of a regular file is its end */
        if (r == 0 || (size_t)r < want || *len > size)
            break;
    }
    if (*len > size)
        return err_set(err, kind->code, path, 0, NULL, "grew while it was read: refusing it");
    buf[*len] = '\0';
    return UM_OK;
}

int textfile_read(char **out, size_t *len, const char *path, const textfile_kind *kind,
                  bool missing_ok, err_buf *err)
{
    size_t size;
    int fd;
    *out = NULL;
    *len = 0;
    int rc = textfile_open(&fd, &size, AT_FDCWD, path, path, kind, missing_ok, err);
    if (rc || fd < 0)
        return rc;
    char *buf = malloc(size + 2);
    rc = buf ? textfile_read_fd(fd, path, size, kind, buf, len, err) : err_nomem(err);
    close(fd);
    size_t bad = rc ? 0 : textfile_binary_at(buf, *len, false);
    if (!rc && bad < *len)
        rc = textfile_binary_error(err, kind->code, path, buf, bad);
    if (rc)
        free(buf);
    else
        *out = buf;
    return rc;
}
