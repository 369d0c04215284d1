/*
 * header_cache.c - versions/.ultramigrate-cache: see header_cache.h.
 *
 * It lives in a directory of its own, versions/.ultramigrate-cache/headers,
 * so that writing it does not change the versions directory's own stat,
 * which it records.  The file is one line naming the format and the release
 * that wrote it, then, as one NUL-terminated field, the number of entries
 * and the stat key of the versions directory (all zeros: none recorded),
 * then the entries in ascending name order, each
 *
 *   name (NUL-terminated), then in binary, in the machine's byte order,
 *   the stat key (HC_N_KEY 64-bit numbers) and the length in bytes of the
 *   rest (32 bits), then the rest: a rest_head (line numbers, flags, the
 *   lengths of the three id lists, the two checksums in hex), then the
 *   header's strings as script_unpack takes them (id, message, create
 *   date when there is one, parents, depends-on, branch labels, each
 *   NUL-terminated: a revision file's header holds no NUL, nor does a
 *   file name); last, a 64-bit hash of the entry so far (util_hash).
 *
 * The hash is what makes a damaged entry a miss: without it a flipped bit
 * that still reads as an id or a hex digit gave a wrong parent or
 * checksum, and a command reported a graph or a change that is not there.
 *
 * What is binary is so because it is read for every file of every
 * command: 10,000 keys parsed from decimal were a tenth of a cold status,
 * and the strings are copied out with one memcpy.  A cache read on a
 * machine of the other byte order matches no file (its inode and device
 * would not match either).
 *
 * The file is mapped, not read, and an entry is only found at load (its
 * name, and where its key and the rest are): the key is compared and the
 * rest checked when the entry is taken, and copied into the one
 * allocation of its script_file.  At 10,000 revisions that is 2.4 MB
 * neither copied nor parsed into an array of its own first.  A cache whose list of
 * entries does not read back exactly is thrown away whole; an entry whose
 * key or rest does not parse is a miss (its file is read).  The cache is
 * only ever replaced by a rename, never written in place, so the mapping
 * cannot shrink under the reader.
 */
#include "header_cache.h"
#include "strbuf.h"
#include "textfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ultramigrate/version.h>

/* Bump when script_file, the parser or this layout changes. */
#define CACHE_FORMAT "ultramigrate header cache 7 " UM_VERSION_STRING "\n"
#define CACHE_FILE   HEADER_CACHE_NAME "/headers"
/* A change this recent may hide from the stat: such files are not cached. */
#define SETTLE_SECONDS 2
#define CACHE_MAX      ((size_t)64 << 20)

#define N_KEY     HC_N_KEY
#define KEY_BYTES (N_KEY * sizeof(uint64_t))

typedef struct cache_key {
    uint64_t v[N_KEY];
} cache_key;

/* An entry as found in the mapping; parsed when taken. */
typedef struct cache_entry {
    const char *name;
    const char *key;  /* the stat key: KEY_BYTES, unaligned */
    const char *rest; /* the header's fields: rest_len bytes */
    size_t rest_len;
    bool taken;
} cache_entry;

struct header_cache {
    const char *data; /* the file, mapped: the entries point into it */
    size_t data_len;
    cache_entry *v;
    size_t n;
    cache_key dir_key;  /* the versions directory's when written, or zeros */
    bool dir_unchanged; /* ... and it still is: no file came or went */
    char **names;       /* header_cache_names(), into data */
    size_t next;        /* entries before it were passed by header_cache_take */
    size_t taken;       /* how many were handed out */
    bool changed;       /* a file was not found as cached: write it anew */
};

void header_cache_stat_of(const struct stat *st, header_cache_stat *out)
{
    *out = (header_cache_stat){ { (uint64_t)st->st_size, (uint64_t)st->st_mtim.tv_sec,
                                  (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec,
                                  (uint64_t)st->st_ctim.tv_nsec, (uint64_t)st->st_ino,
                                  (uint64_t)st->st_dev },
                                (uint32_t)st->st_mode,
                                (uint32_t)st->st_nlink };
}

static cache_key key_of(const header_cache_stat *st)
{
    cache_key k;
    memcpy(k.v, st->key, sizeof(k.v));
    return k;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct cursor {
    const char *p, *end;
} cursor;

/* The next NUL-terminated field, or NULL past the end of the data. */
static const char *next_field(cursor *c)
{
    const char *nul = c->p < c->end ? memchr(c->p, '\0', (size_t)(c->end - c->p)) : NULL;
    if (!nul)
        return NULL;
    const char *f = c->p;
    c->p = nul + 1;
    return f;
}

/* @n unsigned 64-bit decimals separated by single spaces, and nothing
 * else.  By hand: strtoull() was a tenth of the load. */
static bool parse_numbers(const char *f, uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *start = f;
        uint64_t v = 0;
        if (!f)
            return false;
        for (; *f >= '0' && *f <= '9'; f++) {
            unsigned d = (unsigned)(*f - '0');
            if (v > (UINT64_MAX - d) / 10)
                return false;
            v = v * 10 + d;
        }
        if (f == start || *f != (i + 1 < n ? ' ' : '\0'))
            return false;
        out[i] = v;
        f++;
    }
    return true;
}

/* ---- loading: the list of entries ---------------------------------------- */

static bool find_entry(cursor *c, cache_entry *e, const char *prev_name)
{
    const char *name = next_field(c);
    uint32_t len;
    if (!name || !*name || (prev_name && strcmp(prev_name, name) >= 0) ||
        (size_t)(c->end - c->p) < KEY_BYTES + sizeof(len))
        return false;
    memcpy(&len, c->p + KEY_BYTES, sizeof(len));
    if (len + sizeof(uint64_t) > (size_t)(c->end - c->p) - KEY_BYTES - sizeof(len))
        return false;
    *e = (cache_entry){ name, c->p, c->p + KEY_BYTES + sizeof(len), len, false };
    c->p = e->rest + len + sizeof(uint64_t);
    return true;
}

static bool find_entries(header_cache *c)
{
    size_t magic = strlen(CACHE_FORMAT);
    cursor cur = { c->data + magic, c->data + c->data_len };
    uint64_t counts[1 + N_KEY];

    if (c->data_len < magic || memcmp(c->data, CACHE_FORMAT, magic) != 0 ||
        !parse_numbers(next_field(&cur), counts, 1 + N_KEY) || counts[0] > c->data_len)
        return false;
    memcpy(c->dir_key.v, counts + 1, sizeof(c->dir_key.v));
    if (!(c->v = util_calloc((size_t)counts[0], sizeof(*c->v))))
        return false;
    for (c->n = 0; c->n < counts[0]; c->n++)
        if (!find_entry(&cur, &c->v[c->n], c->n ? c->v[c->n - 1].name : NULL))
            return false;
    return cur.p == cur.end;
}

static void drop_entries(header_cache *c)
{
    if (c->data)
        munmap((void *)c->data, c->data_len);
    free(c->v);
    free(c->names);
    c->data = NULL;
    c->data_len = 0;
    c->v = NULL;
    c->names = NULL;
    c->n = 0;
    memset(&c->dir_key, 0, sizeof(c->dir_key));
}

/* The cache file mapped (MAP_POPULATE: its pages in one call, not a
 * fault each), or false. */
static bool map_cache_file(header_cache *c, int dirfd)
{
    static const textfile_kind kind = { CACHE_MAX, UM_EIO, UM_EIO, "cannot read" };
    err_buf ignored = { 0 };
    size_t size = 0;
    int fd = -1;

    if (textfile_open(&fd, &size, dirfd, CACHE_FILE, CACHE_FILE, &kind, true, &ignored) == UM_OK &&
        fd >= 0 && size > 0) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED) {
            c->data = p;
            c->data_len = size;
        }
    }
    if (fd >= 0)
        close(fd);
    err_clear(&ignored);
    return c->data != NULL;
}

static bool no_key(const cache_key *k)
{
    static const cache_key zero;
    return memcmp(k, &zero, sizeof(*k)) == 0;
}

static bool same_key(const cache_key *a, const cache_key *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

header_cache *header_cache_load(int dirfd, const struct stat *dir_st)
{
    header_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (!map_cache_file(c, dirfd) || !find_entries(c)) {
        drop_entries(c);
        c->changed = true;
    }
    header_cache_stat dir;
    header_cache_stat_of(dir_st, &dir);
    cache_key now = key_of(&dir);
    c->dir_unchanged = c->n && !no_key(&c->dir_key) && same_key(&c->dir_key, &now);
    return c;
}

char **header_cache_names(header_cache *c, size_t *n)
{
    if (!c->dir_unchanged)
        return NULL;
    if (!c->names && !(c->names = util_calloc(c->n, sizeof(*c->names))))
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        c->names[i] = (char *)c->v[i].name; /* read only: the mapping is */
    *n = c->n;
    return c->names;
}

/* ---- lookup ------------------------------------------------------------ */

/* The entry of @name, or NULL; the cursor moved up to it. */
static cache_entry *find(header_cache *c, const char *name)
{
    while (c->next < c->n && strcmp(c->v[c->next].name, name) < 0)
        c->next++;
    cache_entry *e = c->next < c->n ? &c->v[c->next] : NULL;
    return e && !e->taken && strcmp(e->name, name) == 0 ? e : NULL;
}

bool header_cache_has(header_cache *c, const char *name)
{
    if (find(c, name))
        return true;
    c->changed = true;
    return false;
}

/* ---- taking: an entry parsed -------------------------------------------- */

/* The start of an entry's rest, as it is in the file. */
typedef struct rest_head {
    int32_t up_line, down_line;
    uint32_t flags; /* REST_* */
    uint32_t n_parents, n_depends_on, n_branch_labels;
    char checksum[64], checksum_raw[64]; /* lowercase hex, no NUL */
} rest_head;

enum { REST_TRANSACTIONAL = 1, REST_HAS_DOWN = 2, REST_HAS_DATE = 4 };

/* The checksums are copied as they are: the entry's hash, checked before
 * its rest is read, is what tells a damaged one (validating their 128 hex
 * digits again was 5 % of the instructions of a cold status). */
static void read_checksum(const char hex[64], char out[65])
{
    memcpy(out, hex, 64);
    out[64] = '\0';
}

/* The header of @e, its file at @path; NULL when its rest does not read
 * back (or out of memory). */
static script_file *unpack_rest(const cache_entry *e, const char *path)
{
    rest_head h;
    script_file fixed = { 0 };
    if (e->rest_len < sizeof(h))
        return NULL;
    memcpy(&h, e->rest, sizeof(h));
    if (h.up_line < 0 || h.down_line < 0 || h.flags > 7 || h.n_parents > e->rest_len ||
        h.n_depends_on > e->rest_len || h.n_branch_labels > e->rest_len)
        return NULL;
    read_checksum(h.checksum, fixed.checksum);
    read_checksum(h.checksum_raw, fixed.checksum_raw);
    fixed.up_line = h.up_line;
    fixed.down_line = h.down_line;
    fixed.transactional = h.flags & REST_TRANSACTIONAL;
    fixed.has_down = h.flags & REST_HAS_DOWN;
    fixed.create_date = h.flags & REST_HAS_DATE ? (char *)"" : NULL; /* there is one */
    fixed.n_parents = h.n_parents;
    fixed.n_depends_on = h.n_depends_on;
    fixed.n_branch_labels = h.n_branch_labels;
    return script_unpack(&fixed, e->rest + sizeof(h), e->rest_len - sizeof(h), path);
}

/* The entry reads back as it was written: its hash, after its rest. */
static bool entry_intact(const cache_entry *e)
{
    const char *end = e->rest + e->rest_len;
    uint64_t want;
    memcpy(&want, end, sizeof(want));
    return util_hash(e->name, (size_t)(end - e->name)) == want;
}

/* The header of @e when @st, its file's stat, is the one it was cached
 * with; NULL otherwise. */
static script_file *entry_header(const cache_entry *e, const header_cache_stat *st,
                                 const char *path)
{
    bool same = e && S_ISREG(st->mode) && memcmp(e->key, st->key, KEY_BYTES) == 0;
    return same && entry_intact(e) ? unpack_rest(e, path) : NULL;
}

static void mark_taken(header_cache *c, cache_entry *e)
{
    e->taken = true;
    c->next++;
    c->taken++;
}

script_file *header_cache_take(header_cache *c, const char *name, const header_cache_stat *st,
                               const char *path)
{
    cache_entry *e = find(c, name);
    script_file *s = entry_header(e, st, path);
    if (!s) {
        c->changed = true;
        return NULL;
    }
    mark_taken(c, e);
    return s;
}

script_file *header_cache_make(const header_cache *c, size_t i, const header_cache_stat *st,
                               const char *path)
{
    return entry_header(i < c->n ? &c->v[i] : NULL, st, path);
}

void header_cache_took(header_cache *c, const char *name)
{
    cache_entry *e = find(c, name);
    if (e)
        mark_taken(c, e);
}

/* ---- writing ----------------------------------------------------------- */

static void put_field(strbuf *sb, const char *s)
{
    sb_append(sb, s, strlen(s) + 1); /* with its NUL */
}

static void put_ids(strbuf *sb, char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_field(sb, ids[i]);
}

/* An entry's rest (see the top of the file). */
static void put_rest(strbuf *sb, const script_file *s)
{
    rest_head h = { s->up_line,
                    s->down_line,
                    (s->transactional ? REST_TRANSACTIONAL : 0) |
                        (s->has_down ? REST_HAS_DOWN : 0) | (s->create_date ? REST_HAS_DATE : 0),
                    (uint32_t)s->n_parents,
                    (uint32_t)s->n_depends_on,
                    (uint32_t)s->n_branch_labels,
                    { 0 },
                    { 0 } };
    memcpy(h.checksum, s->checksum, sizeof(h.checksum));
    memcpy(h.checksum_raw, s->checksum_raw, sizeof(h.checksum_raw));
    sb_append(sb, (const char *)&h, sizeof(h));
    put_field(sb, s->id);
    put_field(sb, s->message);
    if (s->create_date)
        put_field(sb, s->create_date);
    put_ids(sb, s->parents, s->n_parents);
    put_ids(sb, s->depends_on, s->n_depends_on);
    put_ids(sb, s->branch_labels, s->n_branch_labels);
}

/* @rest is scratch, for the rest's length to go before it. */
static void put_entry(strbuf *sb, strbuf *rest, const char *name, const cache_key *k,
                      const script_file *s)
{
    sb_reset(rest);
    put_rest(rest, s);
    uint32_t len = (uint32_t)rest->len; /* a header is far below 4 GB: its file is capped */
    size_t start = sb->len;
    put_field(sb, name);
    sb_append(sb, (const char *)k->v, KEY_BYTES);
    sb_append(sb, (const char *)&len, sizeof(len));
    sb_append(sb, rest->buf, rest->len);
    if (!sb_failed(sb)) {
        uint64_t hash = util_hash(sb->buf + start, sb->len - start);
        sb_append(sb, (const char *)&hash, sizeof(hash));
    }
}

static bool settled(const header_cache_stat *st, const struct timespec *read_at)
{
    uint64_t before = (uint64_t)(read_at->tv_sec - SETTLE_SECONDS);
    return st->nlink && st->key[HC_MTIME] < before && st->key[HC_CTIME] < before;
}

static bool write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/*
 * The cache's own directory, made when missing.  Releases before 0.1 kept
 * the cache as a file of that name: it is replaced (a symbolic link or
 * anything else is left alone, and nothing is cached).
 */
static int open_cache_dir(int dirfd)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    struct stat st;
    if (mkdirat(dirfd, HEADER_CACHE_NAME, 0777) != 0 && errno == EEXIST &&
        fstatat(dirfd, HEADER_CACHE_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        unlinkat(dirfd, HEADER_CACHE_NAME, 0) == 0)
        mkdirat(dirfd, HEADER_CACHE_NAME, 0777);
    return openat(dirfd, HEADER_CACHE_NAME, flags);
}

/* Written aside and renamed over: a reader sees the old file or the new. */
static void write_cache_file(int dirfd, const strbuf *sb)
{
    char tmp[64];
    int cache_dir = open_cache_dir(dirfd);
    if (cache_dir < 0)
        return;
    snprintf(tmp, sizeof(tmp), "headers.%ld", (long)getpid());
    int fd = openat(cache_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd >= 0) {
        bool ok = write_all(fd, sb->buf, sb->len);
        ok = close(fd) == 0 && ok;
        if (!ok || renameat(cache_dir, tmp, cache_dir, "headers") != 0)
            unlinkat(cache_dir, tmp, 0);
    }
    close(cache_dir);
}

void header_cache_save(header_cache *c, int dirfd, const struct stat *dir_st,
                       const char *const *names, const header_cache_stat *stats,
                       script_file *const *scripts, size_t n, const struct timespec *read_at)
{
    size_t kept = 0;
    header_cache_stat dir;
    header_cache_stat_of(dir_st, &dir);
    for (size_t i = 0; i < n; i++)
        kept += settled(&stats[i], read_at);
    /* The directory's stat stands for its list of names only when every
     * revision file in it is cached, and is itself settled. */
    cache_key dir_key = { { 0 } };
    if (kept == n && settled(&dir, read_at))
        dir_key = key_of(&dir);
    bool dir_news = !no_key(&dir_key) && !same_key(&dir_key, &c->dir_key);
    if (!n || (!c->changed && c->taken == c->n && n == c->n && !dir_news))
        return;
    if (!kept && !c->n)
        return; /* nothing to remember, nothing stale to replace */
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, CACHE_FORMAT "%zu", kept);
    for (size_t i = 0; i < N_KEY; i++)
        sb_printf(&sb, " %" PRIu64, dir_key.v[i]);
    sb_putc(&sb, '\0');
    strbuf rest = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        if (settled(&stats[i], read_at)) {
            cache_key k = key_of(&stats[i]);
            put_entry(&sb, &rest, names[i], &k, scripts[i]);
        }
    if (!sb_failed(&sb) && !sb_failed(&rest))
        write_cache_file(dirfd, &sb);
    sb_free(&rest);
    sb_free(&sb);
}

void header_cache_free(header_cache *c)
{
    if (!c)
        return;
    drop_entries(c);
    free(c);
}
