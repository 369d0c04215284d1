/*
 * secret.c - keeping connection passwords out of sight: out of the
 * process's arguments, which `ps` shows every local user, and out of the
 * messages that quote what the user typed.
 */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK 'x'

int cli_looks_secret(const char *s)
{
    return s && (strstr(s, "://") || strcasestr(s, "password"));
}

static void mask(char *from, const char *end)
{
    for (; from < end; from++)
        *from = MASK;
}

/* Whether [from, end) is all digits (a port, not a secret). */
static int all_digits(const char *from, const char *end)
{
    for (; from < end; from++)
        if (!isdigit((unsigned char)*from))
            return 0;
    return 1;
}

/*
 * "scheme://user:PASSWORD@host": the userinfo ends at the authority's last
 * '@', and the password starts after its first ':'.  Without an '@',
 * "scheme://user:PASSWORD" is what the user meant although libpq reads a
 * host and a port: a "port" that is not a number is masked too.  A URL
 * inside a longer text (a message, a key=value string) ends at a blank or
 * a quote as well, a quoted one at its closing quote only (a blank may be
 * in its password).
 */
static void scrub_userinfo(char *url, char opened)
{
    static const char *const stops[] = { "/?#", "/?# \t\n\r\f\v\"'", "/?#'" };
    char *authority = url + strlen("://");
    char *end = authority + strcspn(authority, stops[opened == '\'' ? 2 : opened ? 1 : 0]);
    char *at = NULL;

    for (char *p = authority; p < end; p++)
        if (*p == '@')
            at = p;
    char *stop = at ? at : end;
    char *colon = memchr(authority, ':', (size_t)(stop - authority));
    if (colon && (at || !all_digits(colon + 1, stop)))
        mask(colon + 1, stop);
}

/* What comes before the scheme of the URL whose "://" is at @sep in @arg:
 * '\0' when the URL starts @arg. */
static char before_scheme(const char *arg, const char *sep)
{
    const char *p = sep;
    while (p > arg && (isalnum((unsigned char)p[-1]) || strchr("+-.", p[-1])))
        p--;
    return p == arg ? '\0' : p[-1];
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void scrub(char *arg, int depth);

/*
 * A URL's "dbname=" parameter is percent-decoded by libpq, and read as
 * more options when it is a URL or a key=value string: its passwords are
 * found in a decoded copy, then masked where they stand encoded (each
 * "%XX" of them wholly).
 */
static void scrub_query_dbname(char *v, size_t n, int depth)
{
    char *decoded = malloc(n + 1);
    size_t *from = malloc((n + 1) * sizeof(*from)), k = 0;

    if (!decoded || !from) {
        mask(v, v + n); /* no memory to find the password: hide it all */
        goto done;
    }
    for (size_t i = 0; i < n; i++, k++) {
        from[k] = i;
        if (v[i] == '%' && i + 2 < n && hex_digit(v[i + 1]) >= 0 && hex_digit(v[i + 2]) >= 0) {
            decoded[k] = (char)(hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2]));
            i += 2;
        } else {
            decoded[k] = v[i];
        }
    }
    from[k] = n;
    decoded[k] = '\0';
    char *original = strndup(decoded, k);
    if (!original) {
        mask(v, v + n);
        goto done;
    }
    scrub(decoded, depth + 1);
    for (size_t j = 0; j < k; j++)
        if (decoded[j] != original[j])
            mask(v + from[j], v + from[j + 1]);
    free(original);
done:
    free(decoded);
    free(from);
}

static void scrub_query_dbnames(char *s, int depth)
{
    for (char *p = strcasestr(s, "dbname="); p; p = strcasestr(p + 1, "dbname=")) {
        if (p == s || (p[-1] != '?' && p[-1] != '&'))
            continue;
        char *v = p + strlen("dbname=");
        size_t n = strcspn(v, "&# \t\n\r\f\v'\"");
        if (memchr(v, '%', n))
            scrub_query_dbname(v, n, depth);
    }
}

/* "password=VALUE" as a URL parameter or a key=value pair (with blanks
 * around '=' and a quoted value, as libpq accepts). */
static void scrub_password_keys(char *s)
{
    for (char *p = strcasestr(s, "password"); p; p = strcasestr(p + 1, "password")) {
        char *v = p + strlen("password");
        while (isspace((unsigned char)*v))
            v++;
        if (*v != '=')
            continue;
        for (v++; isspace((unsigned char)*v);)
            v++;
        char quote = *v == '\'' ? *v++ : 0;
        char *end = v;
        while (*end && (quote ? *end != quote : !isspace((unsigned char)*end) && *end != '&'))
            end += *end == '\\' && end[1] ? 2 : 1;
        mask(v, end);
    }
}

/* How deep a dbname that holds more options is followed. */
#define MAX_NESTING 4

static void scrub(char *arg, int depth)
{
    if (depth > MAX_NESTING) {
        mask(arg, arg + strlen(arg));
        return;
    }
    /* a key=value string's dbname may itself be a URL: every one is seen */
    for (char *url = strstr(arg, "://"); url; url = strstr(url + 3, "://"))
        scrub_userinfo(url, before_scheme(arg, url));
    scrub_password_keys(arg);
    scrub_query_dbnames(arg, depth);
}

void cli_scrub_password(char *arg)
{
    if (arg)
        scrub(arg, 1);
}

char *cli_scrubbed(const char *text)
{
    char *copy = text ? strdup(text) : NULL;

    cli_scrub_password(copy);
    return copy;
}

void cli_vprint_scrubbed(FILE *out, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    char *text = len < 0 ? NULL : malloc((size_t)len + 1);

    if (text) {
        vsnprintf(text, (size_t)len + 1, fmt, again);
        cli_scrub_password(text);
    }
    /* without the memory to mask it, the text is not shown at all */
    fputs(text ? text : "(message withheld: out of memory)", out);
    va_end(again);
    free(text);
}

void cli_print_scrubbed(FILE *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cli_vprint_scrubbed(out, fmt, ap);
    va_end(ap);
}
