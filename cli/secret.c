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
 * host and a port: a "port" that is not a number is masked too.
 */
static void scrub_userinfo(char *url)
{
    char *authority = url + strlen("://");
    char *end = authority + strcspn(authority, "/?#");
    char *at = NULL;

    for (char *p = authority; p < end; p++)
        if (*p == '@')
            at = p;
    char *stop = at ? at : end;
    char *colon = memchr(authority, ':', (size_t)(stop - authority));
    if (colon && (at || !all_digits(colon + 1, stop)))
        mask(colon + 1, stop);
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

void cli_scrub_password(char *arg)
{
    if (!arg)
        return;
    /* a key=value string's dbname may itself be a URL: every one is seen */
    for (char *url = strstr(arg, "://"); url; url = strstr(url + 3, "://"))
        scrub_userinfo(url);
    scrub_password_keys(arg);
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
