/*
 * redact.c - masking every form of every known password in a text.
 */
#include "redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "util.h"

/* Shorter pieces of a password are not worth masking at all (a whole
 * password is masked whatever its length, see redact.h). */
#define MIN_PIECE 3
/* Where libpq may cut a password it misreads as URL syntax. */
#define PIECE_DELIMITERS "@/:?#,&= \t"

/* The entry whose text is [s, s + len), or NULL. */
static redact_secret *find(const redact_set *r, const char *s, size_t len)
{
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->v[i].text) == len && memcmp(r->v[i].text, s, len) == 0)
            return &r->v[i];
    return NULL;
}

/* Adds [s, s + len) once, keeping the longest first; @whole_only: a piece,
 * masked only as a whole token whatever its length. */
static bool add_one(redact_set *r, const char *s, size_t len, bool whole_only)
{
    bool anywhere = !whole_only && len >= REDACT_MIN_ANYWHERE;
    redact_secret *known = len ? find(r, s, len) : NULL;
    if (len == 0 || known) {
        if (known)
            known->anywhere = known->anywhere || anywhere;
        return true;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        redact_secret *v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return false;
        r->v = v;
        r->cap = cap;
    }
    char *copy = strndup(s, len);
    if (!copy)
        return false;
    size_t at = r->n;
    while (at > 0 && strlen(r->v[at - 1].text) < len)
        at--;
    memmove(r->v + at + 1, r->v + at, (r->n - at) * sizeof(*r->v));
    r->v[at] = (redact_secret){ .text = copy, .anywhere = anywhere };
    r->n++;
    return true;
}

static bool add_pieces(redact_set *r, const char *s)
{
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, PIECE_DELIMITERS);
        if (n >= MIN_PIECE && n < strlen(s) && !add_one(r, p, n, true))
            return false;
        p += n;
        p += *p != '\0';
    }
    return true;
}

static bool add_span(redact_set *r, const char *s, size_t len)
{
    if (len == 0)
        return true;
    char *decoded = util_percent_decode(s, len);
    bool ok = decoded && add_one(r, s, len, false) && add_one(r, decoded, strlen(decoded), false);
    if (ok) {
        char *raw = strndup(s, len);
        ok = raw && add_pieces(r, raw) && add_pieces(r, decoded);
        free(raw);
    }
    free(decoded);
    return ok;
}

bool redact_add(redact_set *r, const char *secret)
{
    return !secret || add_span(r, secret, strlen(secret));
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The last '@' in [p, end), or NULL. */
static const char *last_at(const char *p, const char *end)
{
    const char *at = NULL;
    for (; p < end; p++)
        if (*p == '@')
            at = p;
    return at;
}

/*
 * The URL whose authority starts at @p and ends at @end: libpq reads the
 * userinfo up to an '@' before the first '/', a person up to the last '@'
 * before the host; both readings' passwords are added.  Without an '@',
 * "user:secret" is read as a host and a port: a port that is not a
 * number was meant as a password.
 */
static bool add_url(redact_set *r, const char *p, const char *end)
{
    const char *path = p + strcspn(p, "/"), *query = p + strcspn(p, "?");
    const char *ats[2] = { last_at(p, path < end ? path : end),
                           last_at(p, query < end ? query : end) };
    bool any = false;
    for (int i = 0; i < 2; i++) {
        const char *colon = ats[i] ? memchr(p, ':', (size_t)(ats[i] - p)) : NULL;
        any = any || ats[i];
        if (colon && !add_span(r, colon + 1, (size_t)(ats[i] - colon - 1)))
            return false;
    }
    if (any || *p == '[')
        return true;
    size_t host_len = strcspn(p, "/?#,");
    const char *colon = memchr(p, ':', host_len < (size_t)(end - p) ? host_len : (size_t)(end - p));
    if (!colon)
        return true;
    size_t port_len = strcspn(colon + 1, "/?#,");
    if (colon + 1 + port_len > end)
        port_len = (size_t)(end - colon - 1);
    return all_digits(colon + 1, port_len) || add_span(r, colon + 1, port_len);
}

/* A quoted key=value value without its quotes and backslashes. */
static bool add_quoted(redact_set *r, const char *p, const char **after)
{
    strbuf sb = STRBUF_INIT;
    for (p++; *p && *p != '\''; p++) {
        if (*p == '\\' && p[1])
            p++;
        sb_putc(&sb, *p);
    }
    *after = p;
    bool ok = !sb_failed(&sb) && (!sb_str(&sb) || redact_add(r, sb_str(&sb)));
    sb_free(&sb);
    return ok;
}

/*
 * Every "password = value".  In a URL's query (after '?' or '&') a bare
 * value ends at '&' or '#' (libpq decodes it: add_span adds both forms); in
 * a key=value string at a blank, '&' being part of the password there.
 * Where the context is unclear both readings are added.
 */
static bool add_password_keys(redact_set *r, const char *s)
{
    for (const char *p = strcasestr(s, "password"); p; p = strcasestr(p + 1, "password")) {
        char before = p > s ? p[-1] : ' ';
        bool in_query = before == '?' || before == '&';
        bool in_keys = isspace((unsigned char)before) || before == '\'';
        const char *v = p + strlen("password");
        v += strspn(v, " \t\n\r\f\v");
        if (*v != '=')
            continue;
        v++;
        v += strspn(v, " \t\n\r\f\v");
        const char *after = v;
        if (*v == '\'' && !add_quoted(r, v, &after))
            return false;
        if (*v == '\'')
            continue;
        size_t bare = strcspn(v, " \t\n\r\f\v'"), query = strcspn(v, " \t\n\r\f\v'&#");
        if ((!in_query && !add_span(r, v, bare)) || (!in_keys && !add_span(r, v, query)))
            return false;
    }
    return true;
}

static bool add_conninfo(redact_set *r, const char *conninfo, int depth);

/*
 * A URL's "dbname=" parameter, percent-decoded as libpq decodes it: when it
 * is itself a URL or a key=value string, libpq reads more options from it,
 * a password among them.
 */
static bool add_nested_dbnames(redact_set *r, const char *s, int depth)
{
    for (const char *p = strcasestr(s, "dbname="); p; p = strcasestr(p + 1, "dbname=")) {
        if (p == s || (p[-1] != '?' && p[-1] != '&'))
            continue;
        const char *v = p + strlen("dbname=");
        char *decoded = util_percent_decode(v, strcspn(v, "&# \t\n\r\f\v'"));
        if (!decoded)
            return false;
        bool nested = redact_holds_options(decoded);
        bool ok = !nested || strcmp(decoded, s) == 0 || add_conninfo(r, decoded, depth + 1);
        free(decoded);
        if (!ok)
            return false;
    }
    return true;
}

static bool add_conninfo(redact_set *r, const char *conninfo, int depth)
{
    if (!conninfo || depth > REDACT_MAX_NESTING)
        return true;
    for (const char *u = strstr(conninfo, "://"); u; u = strstr(u + 3, "://")) {
        const char *p = u + 3;
        if (!add_url(r, p, p + strcspn(p, " \t\n\r\f\v'")))
            return false;
    }
    return add_password_keys(r, conninfo) && add_nested_dbnames(r, conninfo, depth);
}

bool redact_holds_options(const char *dbname)
{
    return strstr(dbname, "://") || strchr(dbname, '=');
}

bool redact_add_conninfo(redact_set *r, const char *conninfo)
{
    return add_conninfo(r, conninfo, 1);
}

/* Whether @c, next to a secret's character @edge, makes the two one word. */
static bool joins(char c, char edge)
{
    return isalnum((unsigned char)c) && isalnum((unsigned char)edge);
}

/* The longest secret that starts at @p in @text and may be masked there
 * (see redact.h), or 0. */
static size_t match_at(const redact_set *r, const char *text, const char *p)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *s = r->v[i].text;
        size_t len = strlen(s);
        if (strncmp(p, s, len) != 0)
            continue;
        if (!r->v[i].anywhere && ((p > text && joins(p[-1], s[0])) || joins(p[len], s[len - 1])))
            continue;
        return len;
    }
    return 0;
}

char *redact_apply(const redact_set *r, const char *text)
{
    strbuf out = STRBUF_INIT;
    if (!text)
        return NULL;
    for (const char *p = text; *p;) {
        size_t len = match_at(r, text, p);
        if (len) {
            sb_puts(&out, REDACT_MASK);
            p += len;
        } else {
            sb_putc(&out, *p++);
        }
    }
    if (sb_failed(&out)) {
        sb_free(&out);
        return NULL;
    }
    return sb_str(&out) ? sb_detach(&out) : strdup("");
}

void redact_free(redact_set *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].text);
    free(r->v);
    memset(r, 0, sizeof(*r));
}
