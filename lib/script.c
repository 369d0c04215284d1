/*
 * script.c - parse revision files: header, markers, sections, checksum.
 *
 * One parser (parse_text) serves both the first read and the re-read of a
 * section, so what is applied is cut exactly as what was checksummed.
 */
#include "script.h"
#include "header_cache.h"
#include "statahead.h"
#include "strbuf.h"
#include "textfile.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define UP_MARKER   "-- migrate:up"
#define DOWN_MARKER "-- migrate:down"
#define SHOW_MAX    64 /* longest id quoted back in a message */

/* Byte ranges of the section bodies within the text. */
typedef struct sections {
    size_t up_start, up_end;
    size_t down_start, down_end;
} sections;

/* One line: [p, end) without its line ending; next is the following line. */
typedef struct line {
    const char *p, *end, *next;
    int no;
} line;

enum marker { M_NONE, M_UP, M_DOWN };
enum key { K_ID, K_REVISES, K_DEPENDS, K_DATE, K_TRANSACTIONAL, K_LABELS, N_KEYS };

static const char *const key_names[N_KEYS] = {
    "Revision ID", "Revises", "Depends On", "Create Date", "Transactional", "Branch Labels",
};

/* The targets of their own: no revision id or branch label may be one. */
static const char *const reserved_names[] = { "head", "heads", "base", "current" };

typedef struct parser {
    const char *path;
    script_file *s;
    err_buf *err;
    const EVP_MD *sha256; /* fetched once per directory; NULL: EVP_sha256() */
    bool no_checksum;     /* a down section re-read: its checksum is not needed */
    int key_line[N_KEYS]; /* where each header key was seen, 0: not yet */
} parser;

/* A growable file buffer, reused across the files of a directory. */
typedef struct readbuf {
    char *buf;
    size_t cap, len;
    /* OpenSSL 3 looks the implementation up on every EVP_sha256() digest;
     * fetched once, hashing 10,000 files costs a third as much. */
    EVP_MD *sha256;
    bool no_checksum; /* parser.no_checksum */
} readbuf;

/* ---- small text helpers ---------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **p, const char **end)
{
    while (*p < *end && is_space(**p))
        (*p)++;
    while (*end > *p && is_space((*end)[-1]))
        (*end)--;
}

static bool span_eq(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) == n && memcmp(p, s, n) == 0;
}

static int show_len(const char *p, const char *end)
{
    return end - p > SHOW_MAX ? SHOW_MAX : (int)(end - p);
}

/* Advances to the line after @ln; "\n" ends a line, a "\r" before it is
 * dropped with the trailing whitespace by trim(). */
static bool next_line(const char *stop, line *ln)
{
    const char *p = ln->next;
    if (p >= stop)
        return false;
    const char *nl = memchr(p, '\n', (size_t)(stop - p));
    ln->p = p;
    ln->end = nl ? nl : stop;
    ln->next = nl ? nl + 1 : stop;
    ln->no++;
    return true;
}

static enum marker marker_of(const line *ln)
{
    const char *p = ln->p, *e = ln->end;
    trim(&p, &e);
    if (e - p < 2 || p[0] != '-' || p[1] != '-')
        return M_NONE;
    for (p += 2; p < e && is_space(*p); p++)
        ;
    if (span_eq(p, e, "migrate:up"))
        return M_UP;
    if (span_eq(p, e, "migrate:down"))
        return M_DOWN;
    return M_NONE;
}

/* ---- content checks -------------------------------------------------- */

static bool all_space(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(text[i]))
            return false;
    return true;
}

static int check_text(const char *path, const char *text, size_t len, err_buf *err)
{
    if (all_space(text, len))
        return err_set(err, UM_EPARSE, path, 0, NULL, "empty file, not a revision");
    size_t bad = textfile_binary_at(text, len, false);
    return bad < len ? textfile_binary_error(err, UM_EPARSE, path, text, bad) : UM_OK;
}

/* ---- header ---------------------------------------------------------- */

/* What the values of key @k are called in messages. */
static const char *value_noun(enum key k)
{
    return k == K_LABELS ? "branch label" : "revision id";
}

bool script_reserved_name(const char *name)
{
    if (name[0] == '-') /* "-1": a relative step */
        return true;
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(*reserved_names); i++)
        if (strcmp(name, reserved_names[i]) == 0)
            return true;
    return false;
}

/* A revision's own id and its labels (a parent's id is found or not). */
static int check_reserved(parser *ps, int line_no, enum key k, const char *id)
{
    if ((k == K_ID || k == K_LABELS) && script_reserved_name(id))
        return err_set(ps->err, UM_EPARSE, ps->path, line_no, ps->s->id,
                       "%s '%s' is reserved: " SCRIPT_RESERVED_WHY, value_noun(k), id);
    return UM_OK;
}

static int check_id(parser *ps, int line_no, enum key k, const char *p, const char *e)
{
    char id[SCRIPT_ID_MAX + 1];
    size_t n = (size_t)(e - p);

    if (n == 0)
        return err_set(ps->err, UM_EPARSE, ps->path, line_no, ps->s->id,
                       "empty %s in '%s:' (%ss are separated by single commas)", value_noun(k),
                       key_names[k], value_noun(k));
    if (n <= SCRIPT_ID_MAX) {
        memcpy(id, p, n);
        id[n] = '\0';
        if (script_valid_id(id))
            return check_reserved(ps, line_no, k, id);
    }
    return err_set(ps->err, UM_EPARSE, ps->path, line_no, ps->s->id,
                   "invalid %s '%.*s%s' in '%s:' (1 to %d "
                   "letters, digits, '_' or '-')",
                   value_noun(k), show_len(p, e), p, e - p > SHOW_MAX ? "..." : "", key_names[k],
                   SCRIPT_ID_MAX);
}

/* Splits [v, ve) at commas into *out, each id trimmed and checked. */
static int split_ids(parser *ps, int line_no, enum key k, const char *v, const char *ve, char **ids,
                     size_t *n)
{
    for (bool last = false; !last;) {
        const char *comma = memchr(v, ',', (size_t)(ve - v));
        const char *p = v, *e = comma ? comma : ve;
        last = !comma;
        v = last ? ve : comma + 1;
        trim(&p, &e);
        int rc = check_id(ps, line_no, k, p, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < *n; i++)
            if (span_eq(p, e, ids[i]))
                return err_set(ps->err, UM_EPARSE, ps->path, line_no, ps->s->id,
                               "%s '%s' listed twice in '%s:'", value_noun(k), ids[i],
                               key_names[k]);
        if (!(ids[*n] = strndup(p, (size_t)(e - p))))
            return err_nomem(ps->err);
        (*n)++;
    }
    return UM_OK;
}

/* "a, b" -> {"a", "b"}; empty or None is no id at all (Alembic writes
 * "Revises: None" for a base revision). */
static int parse_id_list(parser *ps, int line_no, enum key k, const char *v, const char *ve,
                         char ***out, size_t *n)
{
    if (v == ve || span_eq(v, ve, "None") || span_eq(v, ve, "none"))
        return UM_OK;
    size_t cap = 1;
    for (const char *c = v; c < ve; c++)
        cap += *c == ',';
    /* Owned by the script from here on, so script_free cleans up. */
    if (!(*out = calloc(cap, sizeof(**out))))
        return err_nomem(ps->err);
    return split_ids(ps, line_no, k, v, ve, *out, n);
}

static int parse_bool(parser *ps, int line_no, const char *v, const char *ve)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        { "yes", true },
        { "true", true },
        { "no", false },
        { "false", false },
    };
    size_t n = (size_t)(ve - v);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i].word) == n && strncasecmp(v, words[i].word, n) == 0) {
            ps->s->transactional = words[i].value;
            return UM_OK;
        }
    return err_set(ps->err, UM_EPARSE, ps->path, line_no, ps->s->id,
                   "'Transactional:' must be yes, no, true or false, "
                   "not '%.*s'",
                   show_len(v, ve), v);
}

static int set_string(parser *ps, char **field, const char *v, const char *ve)
{
    if (!(*field = strndup(v, (size_t)(ve - v))))
        return err_nomem(ps->err);
    return UM_OK;
}

static int header_key(parser *ps, const line *ln, enum key k, const char *v, const char *ve)
{
    script_file *s = ps->s;

    if (ps->key_line[k])
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, s->id,
                       "duplicate '%s:' header (first at line %d)", key_names[k], ps->key_line[k]);
    ps->key_line[k] = ln->no;
    switch (k) {
    case K_ID: {
        int rc = check_id(ps, ln->no, k, v, ve);
        return rc ? rc : set_string(ps, &s->id, v, ve);
    }
    case K_REVISES:
        return parse_id_list(ps, ln->no, k, v, ve, &s->parents, &s->n_parents);
    case K_DEPENDS:
        return parse_id_list(ps, ln->no, k, v, ve, &s->depends_on, &s->n_depends_on);
    case K_DATE:
        return v == ve ? UM_OK : set_string(ps, &s->create_date, v, ve);
    case K_TRANSACTIONAL:
        return parse_bool(ps, ln->no, v, ve);
    case K_LABELS:
        return parse_id_list(ps, ln->no, k, v, ve, &s->branch_labels, &s->n_branch_labels);
    default:
        return UM_OK;
    }
}

/* Which known key, if any, the comment text [p, e) is a "Key: value" of. */
static int known_key(const char *p, const char *e, const char **value)
{
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (!colon)
        return -1;
    const char *ke = colon;
    trim(&p, &ke);
    for (int k = 0; k < N_KEYS; k++) {
        size_t n = strlen(key_names[k]);
        if ((size_t)(ke - p) == n && strncasecmp(p, key_names[k], n) == 0) {
            *value = colon + 1;
            return k;
        }
    }
    return -1;
}

/* The case-insensitive edit distance of the @n bytes at @a and @b, or
 * more than @most when it is (keys are short: @n up to 32). */
static int key_distance(const char *a, size_t n, const char *b, int most)
{
    size_t m = strlen(b);
    int row[33], prev;
    if (n > 32 || m > 32 || (n > m ? n - m : m - n) > (size_t)most)
        return most + 1;
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int sub = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            prev = row[j];
            int best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
        }
    }
    return row[m];
}

/*
 * A "Key: value" comment whose key is a known one misspelt ("Revise",
 * "Branch Label"): read as a comment, its value would be lost without a
 * word (a revision with no parent is a new base).  NULL when [p, e) is
 * no such line; else the key meant.
 */
static const char *misspelt_key(const char *p, const char *e)
{
    const char *colon = memchr(p, ':', (size_t)(e - p)), *ke = colon;
    if (!colon || colon == p)
        return NULL;
    trim(&p, &ke);
    for (const char *c = p; c < ke; c++)
        if (!isalpha((unsigned char)*c) && *c != ' ')
            return NULL;
    for (int k = 0; k < N_KEYS; k++)
        if (key_distance(p, (size_t)(ke - p), key_names[k], 2) <= 2)
            return key_names[k];
    return NULL;
}

const char *script_header_key(const char *text)
{
    const char *p = text, *e = text + strlen(text), *value;
    trim(&p, &e);
    int k = known_key(p, e, &value);
    return k >= 0 ? key_names[k] : NULL;
}

static int header_line(parser *ps, const line *ln)
{
    const char *p = ln->p, *e = ln->end, *v;

    trim(&p, &e);
    if (p == e)
        return UM_OK;
    if (e - p < 2 || p[0] != '-' || p[1] != '-') {
        const char *why = ps->s->id ? ""
                                    : " (a revision file starts with comment lines such as "
                                      "'-- Revision ID: <id>', then its SQL after '-- migrate:up')";
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, ps->s->id,
                       "SQL before the '" UP_MARKER "' marker%s", why);
    }
    p += 2;
    trim(&p, &e);
    int k = known_key(p, e, &v);
    if (k >= 0) {
        trim(&v, &e);
        return header_key(ps, ln, (enum key)k, v, e);
    }
    const char *meant = misspelt_key(p, e);
    if (meant)
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, ps->s->id,
                       "'%.*s' is no header key: did you mean '%s:'? (as it is, the line would"
                       " be a comment and its value ignored)",
                       (int)strcspn(p, ":") + 1, p, meant);
    if (p == e || ps->s->message)
        return UM_OK;
    return set_string(ps, &ps->s->message, p, e);
}

/* ---- whole file ------------------------------------------------------ */

static int on_marker(parser *ps, const char *text, const line *ln, enum marker m, sections *sec)
{
    script_file *s = ps->s;

    if (m == M_UP && s->up_line)
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, s->id,
                       "second '" UP_MARKER "' marker (first at line %d)", s->up_line);
    if (m == M_DOWN && s->down_line)
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, s->id,
                       "second '" DOWN_MARKER "' marker (first at line %d)", s->down_line);
    if (m == M_DOWN && !s->up_line)
        return err_set(ps->err, UM_EPARSE, ps->path, ln->no, s->id,
                       "'" DOWN_MARKER "' marker before the '" UP_MARKER "' marker");
    if (m == M_UP) {
        s->up_line = ln->no;
        sec->up_start = (size_t)(ln->next - text);
    } else {
        s->down_line = ln->no;
        s->has_down = true;
        sec->up_end = (size_t)(ln->p - text);
        sec->down_start = (size_t)(ln->next - text);
    }
    return UM_OK;
}

static int scan_lines(parser *ps, const char *text, size_t len, sections *sec)
{
    line ln = { .next = text };
    const char *stop = text + len;

    *sec = (sections){ 0 };

    /* A UTF-8 byte order mark is an editor's artefact, not SQL. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ln.next += 3;
    while (next_line(stop, &ln)) {
        enum marker m = marker_of(&ln);
        int rc = m != M_NONE       ? on_marker(ps, text, &ln, m, sec)
                 : !ps->s->up_line ? header_line(ps, &ln)
                                   : UM_OK;
        if (rc)
            return rc;
    }
    if (!ps->s->down_line)
        sec->up_end = sec->down_start = len;
    sec->down_end = len;
    return UM_OK;
}

static int check_self(parser *ps, enum key k, char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], ps->s->id) == 0)
            return err_set(ps->err, UM_EPARSE, ps->path, ps->key_line[k], ps->s->id,
                           "'%s:' names the revision itself", key_names[k]);
    return UM_OK;
}

static void sha256_hex(const EVP_MD *sha256, const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    out[0] = '\0';
    if (!EVP_Digest(data, len, md, &n, sha256 ? sha256 : EVP_sha256(), NULL) || n != 32)
        return;
    util_hex(md, n, out);
}

/*
 * The checksum of an up section: CRLF read as LF and the line breaks at
 * its end dropped, so that git's autocrlf or an editor's final newline do
 * not make an applied revision look edited; every other byte counts.
 */
static bool normalised_sha256_hex(const EVP_MD *sha256, const char *text, size_t len, char out[65])
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (!memchr(text, '\r', len)) {
        sha256_hex(sha256, text, len, out);
        return true;
    }
    char *lf = malloc(len ? len : 1);
    if (!lf)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
            lf[n++] = text[i];
    sha256_hex(sha256, lf, n, out);
    free(lf);
    return true;
}

bool script_checksum_matches(const script_file *s, const char *stored)
{
    return stored && (strcmp(s->checksum, stored) == 0 || strcmp(s->checksum_raw, stored) == 0);
}

static int finish(parser *ps, const char *text, const sections *sec)
{
    script_file *s = ps->s;
    int rc;

    if (!s->id)
        return err_set(ps->err, UM_EPARSE, ps->path, 0, NULL,
                       "not a revision file: no 'Revision ID:' header "
                       "(expected a comment line '-- Revision ID: <id>' "
                       "before '" UP_MARKER "')");
    if (!s->up_line)
        return err_set(ps->err, UM_EPARSE, ps->path, 0, s->id, "no '" UP_MARKER "' marker");
    if ((rc = check_self(ps, K_REVISES, s->parents, s->n_parents)) ||
        (rc = check_self(ps, K_DEPENDS, s->depends_on, s->n_depends_on)) ||
        (rc = check_self(ps, K_LABELS, s->branch_labels, s->n_branch_labels)))
        return rc;
    if (!s->message && !(s->message = strdup("")))
        return err_nomem(ps->err);
    if (ps->no_checksum)
        return UM_OK;
    const char *up = text + sec->up_start;
    size_t up_len = sec->up_end - sec->up_start;
    sha256_hex(ps->sha256, up, up_len, s->checksum_raw);
    if (!normalised_sha256_hex(ps->sha256, up, up_len, s->checksum))
        return err_nomem(ps->err);
    if (!s->checksum[0] || !s->checksum_raw[0])
        return err_set(ps->err, UM_ERROR, ps->path, 0, s->id,
                       "cannot compute the SHA-256 checksum");
    return UM_OK;
}

/* The parser's working copy: each string allocated on its own. */
static void free_fields(script_file *s)
{
    util_free_strings(s->parents, s->parents ? s->n_parents : 0);
    util_free_strings(s->depends_on, s->depends_on ? s->n_depends_on : 0);
    util_free_strings(s->branch_labels, s->branch_labels ? s->n_branch_labels : 0);
    free(s->id);
    free(s->message);
    free(s->create_date);
}

static int parse_text(const char *path, const char *text, size_t len, const readbuf *rb,
                      script_file **out, sections *sec, err_buf *err)
{
    script_file s = { .path = (char *)path, .transactional = true };
    parser ps = { .path = path,
                  .s = &s,
                  .err = err,
                  .sha256 = rb ? rb->sha256 : NULL,
                  .no_checksum = rb && rb->no_checksum };

    *out = NULL;
    int rc = check_text(path, text, len, err);
    if (!rc)
        rc = scan_lines(&ps, text, len, sec);
    if (!rc)
        rc = finish(&ps, text, sec);
    if (!rc && !(*out = script_pack(&s)))
        rc = err_nomem(err);
    free_fields(&s);
    return rc;
}

int script_parse_buffer(const char *path, const char *text, size_t len, script_file **out,
                        err_buf *err)
{
    sections sec;
    return parse_text(path, text, len, NULL, out, &sec, err);
}

/* ---- one allocation per header ---------------------------------------- */

static size_t string_size(const char *str)
{
    return str ? strlen(str) + 1 : 0;
}

static size_t list_size(char *const *ids, size_t n)
{
    size_t size = n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        size += string_size(ids[i]);
    return size;
}

/* Copies @str to *@at and moves *@at past it; NULL stays NULL. */
static char *put_string(char **at, const char *str)
{
    if (!str)
        return NULL;
    size_t size = strlen(str) + 1;
    char *copy = memcpy(*at, str, size);
    *at += size;
    return copy;
}

/* Copies the @n ids of @ids: the pointers to *@slots, the bytes to *@at. */
static char **put_list(char ***slots, char **at, char *const *ids, size_t n)
{
    if (!n)
        return NULL;
    char **list = *slots;
    for (size_t i = 0; i < n; i++)
        list[i] = put_string(at, ids[i]);
    *slots += n;
    return list;
}

/*
 * A header is one allocation: the struct, then its three id lists'
 * pointers, then every string.  A cold status of 10,000 revisions takes
 * them from the header cache, where seven allocations (and as many frees)
 * a header were a fifth of its time.
 */
script_file *script_pack(const script_file *f)
{
    size_t n_ids = f->n_parents + f->n_depends_on + f->n_branch_labels;
    size_t size = sizeof(*f) + list_size(f->parents, f->n_parents) +
                  list_size(f->depends_on, f->n_depends_on) +
                  list_size(f->branch_labels, f->n_branch_labels) + string_size(f->path) +
                  string_size(f->id) + string_size(f->message) + string_size(f->create_date);
    script_file *s = malloc(size);
    if (!s)
        return NULL;
    *s = *f;
    char **slots = (char **)(s + 1);
    char *at = (char *)(slots + n_ids);
    /* in script_unpack's order */
    s->id = put_string(&at, f->id);
    s->message = put_string(&at, f->message);
    s->create_date = put_string(&at, f->create_date);
    s->parents = put_list(&slots, &at, f->parents, f->n_parents);
    s->depends_on = put_list(&slots, &at, f->depends_on, f->n_depends_on);
    s->branch_labels = put_list(&slots, &at, f->branch_labels, f->n_branch_labels);
    s->path = put_string(&at, f->path);
    return s;
}

/* The next string of an area (script_unpack), NULL past its end.  Its
 * last byte is a NUL: no string runs past it. */
static char *next_string(char **at, const char *end)
{
    char *str = *at;
    if (str >= end)
        return NULL;
    *at += strlen(str) + 1;
    return str;
}

/* The next @n strings of an area as a list of ids, into @slots; false
 * when one is missing or not an id. */
static bool unpack_ids(char ***slots, char **at, const char *end, size_t n, char ***list)
{
    *list = n ? *slots : NULL;
    for (size_t i = 0; i < n; i++) {
        char *id = next_string(at, end);
        if (!id || !script_valid_id(id))
            return false;
        *(*slots)++ = id;
    }
    return true;
}

script_file *script_unpack(const script_file *fixed, const char *strings, size_t len,
                           const char *path)
{
    size_t n_ids = fixed->n_parents + fixed->n_depends_on + fixed->n_branch_labels;
    size_t path_size = strlen(path) + 1;
    if (!len || strings[len - 1] != '\0' || n_ids > len)
        return NULL;
    script_file *s = malloc(sizeof(*s) + n_ids * sizeof(char *) + len + path_size);
    if (!s)
        return NULL;
    *s = *fixed;
    char **slots = (char **)(s + 1);
    char *area = (char *)(slots + n_ids), *at = area, *end = area + len;
    memcpy(area, strings, len);
    s->path = memcpy(end, path, path_size);
    s->id = next_string(&at, end);
    s->message = next_string(&at, end);
    s->create_date = fixed->create_date ? next_string(&at, end) : NULL;
    /* a reserved id (refused when parsed) is a miss: the file is parsed */
    if (!s->message || !script_valid_id(s->id) || script_reserved_name(s->id) ||
        (fixed->create_date && !s->create_date) ||
        !unpack_ids(&slots, &at, end, s->n_parents, &s->parents) ||
        !unpack_ids(&slots, &at, end, s->n_depends_on, &s->depends_on) ||
        !unpack_ids(&slots, &at, end, s->n_branch_labels, &s->branch_labels) || at != end) {
        free(s);
        return NULL;
    }
    return s;
}

void script_free(script_file *s)
{
    free(s); /* its strings are in the same allocation (script_pack) */
}

void script_free_array(script_file **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        script_free(v[i]);
    free(v);
}

void script_sha256_hex(const void *data, size_t len, char out[65])
{
    sha256_hex(NULL, data, len, out);
}

/* The bytes of an id: letters, digits, '_' and '-'. */
static const bool id_byte[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1, ['-'] = 1,
};

/* By hand, with a table: strspn() builds its table of accepted bytes on
 * every call, and the header cache checks every id it reads. */
bool script_valid_id(const char *id)
{
    size_t n = 0;
    while (n <= SCRIPT_ID_MAX && id_byte[(unsigned char)id[n]])
        n++;
    return n >= 1 && n <= SCRIPT_ID_MAX && id[n] == '\0';
}

/* ---- files ----------------------------------------------------------- */

/* Where a file is: @name relative to @dirfd (AT_FDCWD for a plain path). */
typedef struct file_ref {
    int dirfd;
    const char *name;
    const char *path;      /* for messages and script_file.path */
    header_cache_stat *st; /* when not NULL, receives the opened file's stat */
} file_ref;

static int io_error(err_buf *err, const char *path, const char *what, int e)
{
    return err_set(err, UM_EIO, path, 0, NULL, "%s: %s", what, strerror(e));
}

static bool rb_reserve(readbuf *rb, size_t need)
{
    if (need <= rb->cap)
        return true;
    size_t cap = rb->cap ? rb->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = realloc(rb->buf, cap);
    if (!p)
        return false;
    rb->buf = p;
    rb->cap = cap;
    return true;
}

/* Opened and read as textfile.h says (no FIFO, device or huge file;
 * binary content found in the first block); @rb is kept from file to
 * file, so that a directory's files share one buffer. */
static int parse_ref(const file_ref *f, readbuf *rb, script_file **out, sections *sec, err_buf *err)
{
    int fd;
    struct stat st;
    *out = NULL;
    int rc =
        textfile_open_stat(&fd, &st, f->dirfd, f->name, f->path, &textfile_revision, false, err);
    if (rc)
        return rc;
    size_t size = (size_t)st.st_size;
    if (f->st)
        header_cache_stat_of(&st, f->st);
    if (!rb_reserve(rb, size + 2))
        rc = err_nomem(err);
    else
        rc = textfile_read_fd(fd, f->path, size, &textfile_revision, rb->buf, &rb->len, err);
    close(fd);
    return rc ? rc : parse_text(f->path, rb->buf, rb->len, rb, out, sec, err);
}

static int parse_path(const char *path, readbuf *rb, script_file **out, sections *sec, err_buf *err)
{
    file_ref f = { .dirfd = AT_FDCWD, .name = path, .path = path, .st = NULL };
    return parse_ref(&f, rb, out, sec, err);
}

int script_parse_file(const char *path, script_file **out, err_buf *err)
{
    readbuf rb = { 0 };
    sections sec;
    int rc = parse_path(path, &rb, out, &sec, err);
    free(rb.buf);
    return rc;
}

static int section_changed(const script_file *s, const script_file *now, bool up, err_buf *err)
{
    if (strcmp(s->id, now->id) != 0)
        return err_set(err, UM_ECHECKSUM, s->path, now->up_line, s->id,
                       "file changed since it was read (it is now "
                       "revision %s)",
                       now->id);
    if (up && strcmp(s->checksum, now->checksum) != 0)
        return err_set(err, UM_ECHECKSUM, s->path, now->up_line, s->id,
                       "file changed since it was read (checksum of the "
                       "up section was %s, is now %s)",
                       s->checksum, now->checksum);
    if (!up && !now->has_down)
        return err_set(err, UM_EIRREVERSIBLE, s->path, 0, s->id,
                       "has no '" DOWN_MARKER "' section any more (the "
                       "file changed since it was read)");
    return UM_OK;
}

int script_read_section(const script_file *s, bool up, char **sql, int *first_line, err_buf *err)
{
    readbuf rb = { .no_checksum = !up }; /* only an up section is checked */
    script_file *now = NULL;
    sections sec;
    int rc;

    *sql = NULL;
    if (!up && !s->has_down)
        return err_set(err, UM_EIRREVERSIBLE, s->path, 0, s->id,
                       "has no '" DOWN_MARKER "' section, so it cannot be "
                       "downgraded");
    if ((rc = parse_path(s->path, &rb, &now, &sec, err)) || (rc = section_changed(s, now, up, err)))
        goto done;
    size_t start = up ? sec.up_start : sec.down_start;
    size_t end = up ? sec.up_end : sec.down_end;
    if (!(*sql = strndup(rb.buf + start, end - start))) {
        rc = err_nomem(err);
        goto done;
    }
    *first_line = (up ? now->up_line : now->down_line) + 1;
done:
    script_free(now);
    free(rb.buf);
    return rc;
}

/* ---- directories ----------------------------------------------------- */

typedef struct entry_list {
    char **names; /* the revision files' names, sorted */
    size_t n, cap;
    bool borrowed; /* names are the header cache's (header_cache_names) */
} entry_list;

static void entries_free(entry_list *l)
{
    if (!l->borrowed) {
        for (size_t i = 0; i < l->n; i++)
            free(l->names[i]);
        free(l->names);
    }
    memset(l, 0, sizeof(*l));
}

static bool is_revision_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

static bool entries_add(entry_list *l, const struct dirent *de)
{
    char **v = util_grow(l->names, l->n, &l->cap, sizeof(*v));
    if (!v)
        return false;
    l->names = v;
    if (!(l->names[l->n] = strdup(de->d_name)))
        return false;
    l->n++;
    return true;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A revision's file name is shown in messages and JSON, which carry only
 * UTF-8: one that is not is refused at load, by every command alike, the
 * name shown escaped.
 */
static int check_name(const char *dir, const char *name, err_buf *err)
{
    size_t len = strlen(name), bad = textfile_binary_at(name, len, false);
    if (bad == len)
        return UM_OK;
    strbuf path = STRBUF_INIT;
    sb_puts(&path, dir);
    sb_putc(&path, '/');
    textfile_escape(&path, name);
    int rc = sb_str(&path) ? err_set(err, UM_EPARSE, sb_str(&path), 0, NULL,
                                     "file name is not UTF-8 (byte 0x%02x at offset %zu of the"
                                     " name): rename the file",
                                     (unsigned char)name[bad], bad)
                           : err_nomem(err);
    sb_free(&path);
    return rc;
}

/* An Alembic revision script: "<rev>_<slug>.py" (not __init__.py). */
static bool is_alembic_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && name[0] != '_' && n > 3 && strcmp(name + n - 3, ".py") == 0;
}

/*
 * A versions/ directory with Alembic's .py revisions and no .sql file is
 * an Alembic project not yet imported, not a project without revisions:
 * reading it as empty would make every database look ahead of the files.
 */
static int alembic_only(const char *dir, const char *py, err_buf *err)
{
    strbuf name = STRBUF_INIT;
    textfile_escape(&name, py); /* a name is not always UTF-8 */
    int rc = sb_str(&name) ? err_set(err, UM_ECONFIG, dir, 0, NULL,
                                     "holds Alembic revisions (%s) and no .sql revision file:"
                                     " bring them over with 'ultramigrate import-alembic'"
                                     " (docs/alembic.md)",
                                     sb_str(&name))
                           : err_nomem(err);
    sb_free(&name);
    return rc;
}

static int list_dir(DIR *d, const char *dir, entry_list *l, err_buf *err)
{
    struct dirent *de;
    char py[64] = "";
    int rc;

    for (errno = 0; (de = readdir(d)); errno = 0) {
        if (!*py && is_alembic_name(de->d_name) && strlen(de->d_name) < sizeof(py))
            strcpy(py, de->d_name);
        if (!is_revision_name(de->d_name))
            continue;
        if ((rc = check_name(dir, de->d_name, err)))
            return rc;
        if (!entries_add(l, de))
            return err_nomem(err);
    }
    if (errno)
        return io_error(err, dir, "cannot read directory", errno);
    if (!l->n && *py)
        return alembic_only(dir, py, err);
    if (l->n)
        qsort(l->names, l->n, sizeof(*l->names), cmp_entries);
    return UM_OK;
}

/* How often parse_all ticks: about every 0.2 ms of reading. */
#define TICK_FILES 64

typedef struct ticker {
    script_tick_fn *fn;
    void *arg;
} ticker;

static void tick(const ticker *t)
{
    if (t->fn)
        t->fn(t->arg);
}

/* One reading of a versions directory. */
typedef struct dir_read {
    DIR *d;
    const char *dir;
    ticker ticker;
    struct stat dir_st;  /* taken before its names are read */
    header_cache *cache; /* NULL: not used */
    entry_list names;
    header_cache_stat *stats; /* each file's */
    script_file **v;          /* the headers, one per name */
} dir_read;

/* Drops what a reading of the names found, to read them again. */
static void forget_names(dir_read *r)
{
    script_free_array(r->v, r->names.n);
    free(r->stats);
    entries_free(&r->names);
    r->v = NULL;
    r->stats = NULL;
}

/* The names as the header cache recorded them, while the directory's stat
 * says that no file came or went since (header_cache_names). */
static bool borrow_cached_names(dir_read *r)
{
    size_t n = 0;
    char **names = r->cache ? header_cache_names(r->cache, &n) : NULL;
    if (!names)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_revision_name(names[i]))
            return false;
    r->names = (entry_list){ .names = names, .n = n, .cap = n, .borrowed = true };
    return true;
}

/*
 * File @i's header from the cache, made by whichever thread took its stat
 * (statahead.c: the second thread makes half of them), for names that are
 * the cache's own: entry i is then file i (header_cache_make).  The
 * reader adopts it when it comes to the file.
 */
static void make_ahead(void *arg, size_t i, int stat_err)
{
    dir_read *r = arg;
    const char *name = r->names.names[i];
    size_t dir_len = strlen(r->dir), name_len = strlen(name);
    char path[4096];
    if (stat_err || dir_len + 1 + name_len >= sizeof(path))
        return; /* the reader deals with it */
    memcpy(path, r->dir, dir_len);
    if (dir_len && path[dir_len - 1] != '/')
        path[dir_len++] = '/';
    memcpy(path + dir_len, name, name_len + 1);
    r->v[i] = header_cache_make(r->cache, i, &r->stats[i], path);
}

/*
 * Each file's header from the cache when its stat says it is unchanged,
 * else read and parsed (and hashed: SHA-256 is fetched only then).  With
 * names borrowed from the cache, a file that is not there (a damaged
 * cache) sets *@relist: the caller reads the directory after all.
 */
static int parse_all(dir_read *r, bool *relist, err_buf *err)
{
    readbuf rb = { 0 };
    strbuf path = STRBUF_INIT;
    bool slash = r->dir[0] && r->dir[strlen(r->dir) - 1] == '/';
    const entry_list *l = &r->names;
    struct timespec read_at;
    int rc = UM_OK;

    clock_gettime(CLOCK_REALTIME, &read_at);
    stat_ahead *sa = r->cache ? stat_ahead_start(dirfd(r->d), l->names, l->n, r->stats,
                                                 l->borrowed ? make_ahead : NULL, r)
                              : NULL;
    if (r->cache && !sa)
        rc = err_nomem(err);
    for (size_t i = 0; i < l->n && !rc; i++) {
        file_ref f = { dirfd(r->d), l->names[i], NULL, r->cache ? &r->stats[i] : NULL };
        int stat_err = sa ? stat_ahead_get(sa, i) : 0;
        if (i % TICK_FILES == 0)
            tick(&r->ticker);
        if (r->v[i]) { /* made from the cache with its stat (make_ahead) */
            header_cache_took(r->cache, f.name);
            continue;
        }
        sections sec;
        sb_reset(&path);
        sb_puts(&path, r->dir);
        if (!slash)
            sb_putc(&path, '/');
        sb_puts(&path, f.name);
        if (!(f.path = sb_str(&path))) {
            rc = err_nomem(err);
            break;
        }
        /* every name was stat'ed (statahead.c); what the cache does not
         * hold, or holds stale, is read, and stat'ed with the reading */
        if (r->cache && header_cache_has(r->cache, f.name)) {
            if (stat_err && l->borrowed) {
                *relist = true;
                break;
            }
            if ((r->v[i] = header_cache_take(r->cache, f.name, &r->stats[i], f.path)))
                continue;
        }
        if (!rb.sha256)
            rb.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        rc = parse_ref(&f, &rb, &r->v[i], &sec, err);
    }
    stat_ahead_finish(sa);
    if (!rc && r->cache && !*relist)
        header_cache_save(r->cache, dirfd(r->d), &r->dir_st, (const char *const *)l->names,
                          r->stats, r->v, l->n, &read_at);
    sb_free(&path);
    free(rb.buf);
    EVP_MD_free(rb.sha256);
    return rc;
}

/* The headers of the files r->names holds. */
static int read_headers(dir_read *r, bool *relist, err_buf *err)
{
    /* One slot even when empty, so success always hands out an array. */
    r->v = util_calloc(r->names.n, sizeof(*r->v));
    /* not zeroed (1.4 MB at 10,000 files): every one is written, by
     * statahead.c or by the reading of its file, before it is used */
    r->stats = r->cache ? malloc((r->names.n ? r->names.n : 1) * sizeof(*r->stats)) : NULL;
    if (!r->v || (r->cache && !r->stats))
        return err_nomem(err);
    return parse_all(r, relist, err);
}

/* The names from the cache when the directory is unchanged, else read. */
static int read_dir(dir_read *r, err_buf *err)
{
    bool relist = false;
    if (borrow_cached_names(r)) {
        int rc = read_headers(r, &relist, err);
        if (rc || !relist)
            return rc;
        forget_names(r);
    }
    int rc = list_dir(r->d, r->dir, &r->names, err);
    if (rc)
        return rc;
    tick(&r->ticker);
    return read_headers(r, &relist, err);
}

int script_read_dir_ticking(const char *dir, bool use_cache, script_tick_fn *tick_fn, void *arg,
                            script_file ***out, size_t *n, err_buf *err)
{
    dir_read r = { .dir = dir, .ticker = { tick_fn, arg } };
    int rc;

    *out = NULL;
    *n = 0;
    if (!(r.d = opendir(dir)))
        return io_error(err, dir, "cannot open directory", errno);
    if (use_cache && fstat(dirfd(r.d), &r.dir_st) == 0)
        r.cache = header_cache_load(dirfd(r.d), &r.dir_st);
    if (!(rc = read_dir(&r, err))) {
        *out = r.v;
        *n = r.names.n;
        r.v = NULL;
    }
    forget_names(&r);
    header_cache_free(r.cache);
    closedir(r.d);
    return rc;
}

int script_read_dir(const char *dir, bool use_cache, script_file ***out, size_t *n, err_buf *err)
{
    return script_read_dir_ticking(dir, use_cache, NULL, NULL, out, n, err);
}
