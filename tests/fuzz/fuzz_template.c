/*
 * fuzz_template.c - file names and file contents of new revisions.
 *
 * The input, up to its first NUL, is both a file_template and a
 * script.sql.tmpl; what follows the NUL is the revision message.  Its
 * length and a hash of it choose the slug length and the clock, so that
 * gmtime_r's failure on far-off times is reached too.
 */
#include "fuzz.h"

#include "template.h"

#include <string.h>

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void check_slug(const char *message, int truncate)
{
    char *slug = template_slug(message, truncate);
    size_t len;

    FUZZ_CHECK(slug != NULL, "NULL slug");
    len = strlen(slug);
    FUZZ_CHECK(strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789_") == len,
               "slug '%s' has other characters", slug);
    FUZZ_CHECK(len == 0 || (slug[0] != '_' && slug[len - 1] != '_'),
               "slug '%s' starts or ends with '_'", slug);
    FUZZ_CHECK(!strstr(slug, "__"), "slug '%s' has '__'", slug);
    FUZZ_CHECK(truncate <= 0 || len <= (size_t)truncate, "slug '%s' longer than %d", slug,
               truncate);
    free(slug);
}

static void check_file_name(const char *tmpl, const char *message, int truncate, time_t now)
{
    char *name = (char *)"unset";
    err_buf err = { 0 };
    int rc = template_file_name(tmpl, "0123abcd4567", message, truncate, now, &name, &err);

    if (rc) {
        FUZZ_CHECK(name == NULL, "*out not NULL on failure");
        FUZZ_CHECK(rc == UM_ECONFIG || rc == UM_ERROR || rc == UM_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(err.d.code == rc && err.d.message, "error not recorded");
    } else {
        size_t len = strlen(name);
        FUZZ_CHECK(!strchr(name, '/'), "file name '%s' has '/'", name);
        FUZZ_CHECK(len > 4 && strcmp(name + len - 4, ".sql") == 0,
                   "file name '%s' lacks a name before '.sql'", name);
        FUZZ_CHECK(name[0] != '.', "file name '%s' is hidden", name);
        free(name);
    }
    err_clear(&err);
}

static void check_render(const char *tmpl)
{
    static const template_vars vars = {
        .message = "Add users\r\nand\rroles\n",
        .rev_id = "0123abcd4567",
        .parents = "89ab, cdef",
        /* an empty one is left out with its line; no labels: their line
         * is left out, and none is added to a template without one */
        .depends_on = "0f0f",
        .create_date = "2025-05-01 12:00:00+00",
    };
    char *out = (char *)"unset";
    err_buf err = { 0 };
    int rc = template_render(tmpl, "script.sql.tmpl", &vars, &out, &err);

    if (rc) {
        FUZZ_CHECK(out == NULL, "*out not NULL on failure");
        FUZZ_CHECK(rc == UM_EPARSE || rc == UM_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(err.d.code == rc && err.d.message, "error not recorded");
    } else {
        /* No value but the message has a line break, and it is flattened. */
        FUZZ_CHECK(count_char(out, '\n') == count_char(tmpl, '\n'),
                   "rendering changed the line count");
        if (!strchr(tmpl, '$'))
            FUZZ_CHECK(strcmp(out, tmpl) == 0, "text without '$' changed");
        free(out);
    }
    err_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';

    size_t tlen = strlen(text);
    const char *message = tlen < size ? text + tlen + 1 : "";
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    int truncate = (int)(h % 64) - 8; /* some <= 0: no limit */
    /* Mostly plausible dates, sometimes anything a time_t holds. */
    time_t now = (h >> 8) % 4 ? (time_t)(h >> 34) : (time_t)(int64_t)h;

    check_slug(message, truncate);
    check_slug(text, truncate);
    check_file_name(text, message, truncate, now);
    check_render(text);
    free(text);
    return 0;
}
