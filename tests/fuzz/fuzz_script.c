/*
 * fuzz_script.c - the revision file parser on arbitrary bytes.
 *
 * A parse that succeeds must give a header the rest of the engine can
 * trust (valid ids, a well-formed checksum, markers in order), and reading
 * the sections back from a file must cut exactly what was checksummed.
 */
#include "fuzz.h"

#include "script.h"

#include <string.h>

static void check_ids(char **ids, size_t n, const char *self)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(ids && ids[i] && script_valid_id(ids[i]), "bad id in a list");
        FUZZ_CHECK(strcmp(ids[i], self) != 0, "'%s' names itself", self);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(ids[i], ids[j]) != 0, "'%s' listed twice", ids[i]);
    }
}

static void check_header(const script_file *s, const uint8_t *data, size_t size)
{
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';

    FUZZ_CHECK(s->path && strcmp(s->path, "fuzz.sql") == 0, "path not kept");
    FUZZ_CHECK(s->id && script_valid_id(s->id), "invalid id");
    FUZZ_CHECK(s->message != NULL, "NULL message");
    FUZZ_CHECK(strlen(s->checksum) == 64 && strspn(s->checksum, "0123456789abcdef") == 64,
               "checksum '%s' is not 64 lowercase hex digits", s->checksum);
    FUZZ_CHECK(s->up_line > 0 && s->up_line <= lines, "up_line %d of %d lines", s->up_line, lines);
    FUZZ_CHECK(s->down_line == 0 || (s->down_line > s->up_line && s->down_line <= lines),
               "down_line %d, up_line %d", s->down_line, s->up_line);
    FUZZ_CHECK(s->has_down == (s->down_line != 0), "has_down disagrees with down_line");
    check_ids(s->parents, s->n_parents, s->id);
    check_ids(s->depends_on, s->n_depends_on, s->id);
}

/* The re-read of a section (as apply does) from a file with the same bytes. */
static void check_sections(const script_file *s, const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch_file("script", "sql", data, size);
    script_file *f = NULL;
    err_buf err = { 0 };
    char sum[65], *sql = NULL;
    int first = 0;

    int rc = script_parse_file(path, &f, &err);
    FUZZ_CHECK(rc == 0, "file parse differs from buffer parse: %s", err.d.message);
    FUZZ_CHECK(strcmp(f->checksum, s->checksum) == 0, "checksum differs");
    FUZZ_CHECK(strcmp(f->path, path) == 0, "path not kept"); /* script_read_section reads it */

    rc = script_read_section(f, true, &sql, &first, &err);
    FUZZ_CHECK(rc == 0, "up section: %s", err.d.message);
    script_sha256_hex(sql, strlen(sql), sum);
    FUZZ_CHECK(strcmp(sum, s->checksum_raw) == 0,
               "up section read back is not what was checksummed");
    FUZZ_CHECK(first == s->up_line + 1, "up section starts on line %d, marker on %d", first,
               s->up_line);
    free(sql);
    sql = NULL;

    rc = script_read_section(f, false, &sql, &first, &err);
    if (s->has_down) {
        FUZZ_CHECK(rc == 0, "down section: %s", err.d.message);
        FUZZ_CHECK(first == s->down_line + 1, "down section starts on line %d, marker on %d", first,
                   s->down_line);
    } else {
        FUZZ_CHECK(rc == UM_EIRREVERSIBLE && sql == NULL, "missing down section gave %d", rc);
    }
    free(sql);
    script_free(f);
    err_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static script_file sentinel;
    script_file *s = &sentinel; /* must be reset to NULL on failure */
    err_buf err = { 0 };

    int rc = script_parse_buffer("fuzz.sql", (const char *)data, size, &s, &err);
    if (rc) {
        FUZZ_CHECK(rc == UM_EPARSE || rc == UM_ENOMEM, "unexpected code %d", rc);
        FUZZ_CHECK(s == NULL, "*out not NULL on failure");
        FUZZ_CHECK(err.d.code == rc && err.d.message, "error not recorded");
    } else {
        FUZZ_CHECK(s != NULL, "*out NULL on success");
        check_header(s, data, size);
        check_sections(s, data, size);
    }
    script_free(rc ? NULL : s);
    err_clear(&err);
    return 0;
}
