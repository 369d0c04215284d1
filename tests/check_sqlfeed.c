/*
 * check_sqlfeed.c - lib/sqlfeed.c without psql: what the feed gives psql
 * for a file that matches its manifest (BEGIN, every byte of the file,
 * COMMIT) and for one that does not (a prefix of the file that stops
 * before any line that could end the transaction, and never COMMIT), with
 * such lines placed across the feed's reads; and which lines those are.
 */
#include "pgtest.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlfeed.h"

/* The size of the feed's reads (manifest.c's DIGEST_CHUNK). */
#define READ_SIZE (128 << 10)

START_TEST(lines_that_may_end)
{
    static const struct {
        const char *line;
        bool ends;
    } cases[] = {
        { "COMMIT;", true },
        { "commit", true },
        { "  END;", true },
        { "\tEnd transaction;", true },
        { "ROLLBACK;", true },
        { "abort;", true },
        { "PREPARE TRANSACTION 'x';", true },
        { "\\connect other", true },
        { "\\q", true },
        { "  \\! rm -rf /", true },
        { "\\.x", true },
        { "BEGIN;", false },
        { "SELECT pg_catalog.setval('a_id_seq', 5000, true);", false },
        { "ENDPOINT", false },
        { "committed\tyes", false },
        { "1\tcommit", false },
        { "\\.", false },
        { "\\.\r", false },
        { "\\restrict abcDEF123", false },
        { "\\unrestrict abcDEF123", false },
        { "", false },
        { "-- COMMIT", false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(sqlfeed_line_may_end(cases[i].line, strlen(cases[i].line)) == cases[i].ends,
                      "'%s': expected %d", cases[i].line, cases[i].ends);
    /* a line cut at SQLFEED_PEEK bytes of blanks cannot be told: held */
    char blanks[SQLFEED_PEEK];
    memset(blanks, ' ', sizeof(blanks));
    ck_assert(sqlfeed_line_may_end(blanks, sizeof(blanks)));
    memcpy(blanks + 4, "INSERT", 6);
    ck_assert(!sqlfeed_line_may_end(blanks, sizeof(blanks)));
}
END_TEST

static void sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    ck_assert(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL));
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* About 400 KB of SQL-like lines of varied lengths, with @held (a line
 * that may end the transaction) starting at byte @at. */
static char *make_file(size_t at, const char *held, size_t *len)
{
    size_t cap = 512 << 10, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; n < (400u << 10); i++) {
        if (n <= at && at < n + 200) {
            memset(text + n, '-', at - n);
            text[at - 1] = '\n';
            n = at + (size_t)sprintf(text + at, "%s\n", held);
            continue;
        }
        n += (size_t)sprintf(text + n, "%d\t%.*s\n", i, i % 150,
                             "abcdefghij"
                             "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
                             "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
                             "abcdefghijabcdefghijabcdefghij");
    }
    *len = n;
    return text;
}

/* What the feed gives for @text, written to a file, when the manifest says
 * @sha256; *stopped when it asked to stop psql. */
static char *feed_all(const char *text, size_t len, const char *sha256, size_t *out_len,
                      bool *stopped)
{
    char *dir = pgtest_tmpdir();
    char *path = pgtest_asprintf("%s/b.sql", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    err_buf err = { { 0 } };
    sqlfeed *feed = NULL;
    ck_assert_int_eq(sqlfeed_open(&feed, path, len, sha256, &err), UM_OK);
    char *out = malloc(len + 64);
    size_t n = 0;
    *stopped = false;
    for (;;) {
        const char *data = NULL;
        size_t got = 0;
        if (sqlfeed_input(feed, &data, &got) != 0) {
            *stopped = true;
            break;
        }
        if (got == 0)
            break;
        ck_assert_uint_le(n + got, len + 64);
        memcpy(out + n, data, got);
        n += got;
    }
    /* the digest is the file's either way */
    char hex[65], want[65];
    uint64_t size = 0;
    ck_assert_int_eq(sqlfeed_digest(feed, hex, &size, &err), UM_OK);
    sha256_hex(text, len, want);
    ck_assert_str_eq(hex, want);
    ck_assert_uint_eq(size, len);
    sqlfeed_free(feed);
    err_clear(&err);
    pgtest_rmtree(dir);
    free(path);
    free(dir);
    *out_len = n;
    return out;
}

/* Where the held line goes: inside the first read, across the end of a
 * read at every offset of its first bytes, at the start of a read. */
static const size_t held_at[] = { 1000,      READ_SIZE - 3,      READ_SIZE - 1, READ_SIZE - 7,
                                  READ_SIZE, 2 * READ_SIZE - 70, READ_SIZE + 1 };

START_TEST(matching_file_fed_whole)
{
    size_t len = 0, n = 0;
    char *text = make_file(held_at[_i], "COMMIT;", &len);
    char hex[65];
    sha256_hex(text, len, hex);
    bool stopped = false;
    char *out = feed_all(text, len, hex, &n, &stopped);
    ck_assert(!stopped);
    ck_assert_uint_eq(n, strlen("BEGIN;\n") + len + strlen("\nCOMMIT;\n"));
    ck_assert(memcmp(out, "BEGIN;\n", 7) == 0);
    ck_assert(memcmp(out + 7, text, len) == 0);
    ck_assert(memcmp(out + 7 + len, "\nCOMMIT;\n", 9) == 0);
    free(out);
    free(text);
}
END_TEST

START_TEST(mismatch_stops_before_held_line)
{
    size_t at = held_at[_i], len = 0, n = 0;
    char *text = make_file(at, "  end;", &len);
    bool stopped = false;
    char *out = feed_all(text, len, "0000", &n, &stopped);
    ck_assert(stopped);
    ck_assert(memcmp(out, "BEGIN;\n", 7) == 0);
    /* a prefix of the file, not one byte of the held line */
    ck_assert_uint_le(n - 7, at);
    ck_assert(memcmp(out + 7, text, n - 7) == 0);
    free(out);
    free(text);
}
END_TEST

/* Without such a line all of the file goes, and then no COMMIT. */
START_TEST(mismatch_never_commits)
{
    size_t len = 0, n = 0;
    char *text = make_file(SIZE_MAX, "", &len);
    bool stopped = false;
    char *out = feed_all(text, len, "0000", &n, &stopped);
    ck_assert(stopped);
    ck_assert_uint_le(n, 7 + len);
    ck_assert(memcmp(out + 7, text, n - 7) == 0);
    free(out);
    free(text);
}
END_TEST

static Suite *sqlfeed_suite(void)
{
    Suite *s = suite_create("sqlfeed");
    TCase *tc = pgtest_add_tcase(s, "lines", NULL, NULL, 30);
    tcase_add_test(tc, lines_that_may_end);
    tc = pgtest_add_tcase(s, "feed", NULL, NULL, 60);
    int n = (int)(sizeof(held_at) / sizeof(held_at[0]));
    tcase_add_loop_test(tc, matching_file_fed_whole, 0, n);
    tcase_add_loop_test(tc, mismatch_stops_before_held_line, 0, n);
    tcase_add_test(tc, mismatch_never_commits);
    return s;
}

int main(void)
{
    return pgtest_run_suite(sqlfeed_suite());
}
