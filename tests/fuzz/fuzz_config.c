/*
 * fuzz_config.c - ultramigrate.ini on arbitrary bytes, and the URL
 * redaction on the same bytes taken as a URL.
 *
 * config_load only takes a path, so the input goes through a scratch file.
 * The redaction check reads the userinfo of a URI as libpq does
 * (conninfo_uri_parse_options: it ends at the first '@' met before any
 * '/'; the password runs from its first ':' to that '@'): that password,
 * when it occurs nowhere else, must not survive redaction.  The
 * "?password=" parameters of the query, and "password=" in the key=value
 * form, are held to the same rule.
 */
#include "fuzz.h"

#include "config.h"

#include <ctype.h>
#include <string.h>

#define MASK "****"

static size_t scheme_length(const char *url)
{
    size_t n = 0;
    if (!isalpha((unsigned char)url[0]))
        return 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
        n++;
    return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

/* @url with [start, end) replaced by the mask: what a correct redaction
 * may still show.  A secret found in it is not the redactor's to hide. */
static char *skeleton(const char *url, size_t start, size_t end)
{
    size_t len = strlen(url);
    char *s = malloc(len - (end - start) + sizeof(MASK));
    FUZZ_CHECK(s != NULL, "out of memory");
    memcpy(s, url, start);
    memcpy(s + start, MASK, sizeof(MASK) - 1);
    strcpy(s + start + sizeof(MASK) - 1, url + end);
    return s;
}

static void check_hidden(const char *url, const char *red, size_t start, size_t end)
{
    if (end <= start)
        return;
    char *secret = strndup(url + start, end - start);
    char *skel = skeleton(url, start, end);
    FUZZ_CHECK(secret != NULL, "out of memory");
    if (!strstr(skel, secret))
        FUZZ_CHECK(!strstr(red, secret), "password '%s' of '%s' shown in '%s'", secret, url, red);
    free(secret);
    free(skel);
}

/*
 * key=value form, kept simple: without quotes in the string, a
 * "password=VALUE" word that is not itself the value of the key before it
 * ("a= password=x") hides VALUE, even in a string libpq will refuse (its
 * error is shown with the redacted string).
 */
static void check_conninfo(const char *url, const char *red)
{
    if (strpbrk(url, "'\\"))
        return;
    for (const char *p = strstr(url, "password="); p; p = strstr(p + 1, "password=")) {
        const char *b = p;
        if (b > url && !isspace((unsigned char)b[-1]))
            continue;
        while (b > url && isspace((unsigned char)b[-1]))
            b--;
        if (b > url && b[-1] == '=')
            continue;
        size_t start = (size_t)(p + 9 - url);
        check_hidden(url, red, start, start + strcspn(url + start, " \t\n\r\f\v"));
    }
}

static void check_redacted(const char *url, const char *red)
{
    size_t scheme = scheme_length(url);
    if (!scheme) {
        check_conninfo(url, red);
        return;
    }
    size_t start = scheme + 3, at = start + strcspn(url + start, "@/");
    if (url[at] == '@') {
        const char *colon = memchr(url + start, ':', at - start);
        if (colon)
            check_hidden(url, red, (size_t)(colon + 1 - url), at);
    }
    /* libpq's query starts at the first '?' after the userinfo. */
    const char *q = strchr(url + (url[at] == '@' ? at : start), '?');
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t n = strcspn(p, "&");
        if (strncmp(p, "password=", 9) == 0 && n > 9)
            check_hidden(url, red, (size_t)(p + 9 - url), (size_t)(p + n - url));
        p += n + (p[n] == '&');
    }
}

static void redact(const char *url)
{
    char *red = config_redact_url(url);
    FUZZ_CHECK(red != NULL, "NULL redaction");
    check_redacted(url, red);
    free(red);
}

static void check_config(const config_settings *cfg)
{
    FUZZ_CHECK(cfg->path && cfg->here && cfg->script_location && cfg->file_template &&
                   cfg->version_table && cfg->version_table_schema && cfg->url_source,
               "a required setting is NULL");
    FUZZ_CHECK(*cfg->script_location && *cfg->file_template, "empty text setting");
    FUZZ_CHECK(*cfg->version_table && strlen(cfg->version_table) <= 63 &&
                   *cfg->version_table_schema && strlen(cfg->version_table_schema) <= 63,
               "bad identifier setting");
    FUZZ_CHECK(cfg->truncate_slug_length >= 0 && cfg->lock_wait_ms >= 0 &&
                   cfg->lock_timeout_ms >= 0 && cfg->statement_timeout_ms >= 0 &&
                   cfg->lock_retries >= 0,
               "negative number setting");
    FUZZ_CHECK((!cfg->timezone || *cfg->timezone) && (!cfg->schema_file || *cfg->schema_file) &&
                   (!cfg->backup_dir || *cfg->backup_dir),
               "empty optional setting kept");
    if (cfg->database_url) {
        FUZZ_CHECK(strcmp(cfg->url_source, "config file") == 0, "URL from '%s'", cfg->url_source);
        redact(cfg->database_url);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int env_cleared;
    if (!env_cleared) {
        /* The environment outranks the file; the input alone must decide. */
        unsetenv("ULTRAMIGRATE_DATABASE_URL");
        unsetenv("DATABASE_URL");
        env_cleared = 1;
    }

    const char *path = fuzz_scratch_file("config", "ini", data, size);
    config_settings cfg;
    err_buf err = { 0 };
    int rc = config_load(&cfg, path, NULL, NULL, &err);
    if (rc) {
        FUZZ_CHECK(rc == UM_ECONFIG || rc == UM_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(err.d.code == rc && err.d.message, "error not recorded");
    } else {
        check_config(&cfg);
        config_free(&cfg);
    }
    err_clear(&err);

    char *url = malloc(size + 1);
    FUZZ_CHECK(url != NULL, "out of memory");
    memcpy(url, data, size);
    url[size] = '\0';
    redact(url);
    free(url);
    return 0;
}
