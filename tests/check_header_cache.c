/*
 * check_header_cache.c - versions/.ultramigrate-cache: a header comes from
 * the cache only while its file's stat is unchanged, reads back exactly as
 * parsed, and a damaged cache is never more than a cache miss.
 */
#include "header_cache.h"
#include "pgtest.h"
#include "script.h"
#include "statahead.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *tdir;

static void tmp_setup(void)
{
    tdir = pgtest_tmpdir();
}

static void tmp_teardown(void)
{
    pgtest_rmtree(tdir);
    free(tdir);
    tdir = NULL;
}

/* Three revisions that use every header field the cache keeps. */
static void write_project(void)
{
    pgtest_write_file(tdir, "a.sql",
                      "-- First: tables\n-- Revision ID: aaa1\n-- Revises:\n"
                      "-- Create Date: 2025-05-01 12:00:00+00\n\n"
                      "-- migrate:up\nCREATE TABLE t (id int);\n\n"
                      "-- migrate:down\nDROP TABLE t;\n");
    pgtest_write_file(tdir, "b.sql",
                      "-- Second\n-- Revision ID: bbb2\n-- Revises: aaa1\n"
                      "-- Branch Labels: audit, billing\n-- Transactional: no\n\n"
                      "-- migrate:up\r\nCREATE INDEX CONCURRENTLY i ON t (id);\r\n");
    pgtest_write_file(tdir, "c.sql",
                      "-- Revision ID: ccc3\n-- Revises: bbb2\n-- Depends On: aaa1\n\n"
                      "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
}

static void read_dir(bool use_cache, script_file ***v, size_t *n)
{
    err_buf err = { 0 };
    int rc = script_read_dir(tdir, use_cache, v, n, &err);
    ck_assert_msg(rc == UM_OK, "script_read_dir: %s", err.d.message);
    err_clear(&err);
}

static void assert_ids_eq(char **a, size_t na, char **b, size_t nb)
{
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++)
        ck_assert_str_eq(a[i], b[i]);
}

static void assert_same_script(const script_file *a, const script_file *b)
{
    ck_assert_str_eq(a->path, b->path);
    ck_assert_str_eq(a->id, b->id);
    ck_assert_str_eq(a->message, b->message);
    ck_assert_pstr_eq(a->create_date, b->create_date);
    ck_assert_int_eq(a->transactional, b->transactional);
    ck_assert_int_eq(a->has_down, b->has_down);
    ck_assert_int_eq(a->up_line, b->up_line);
    ck_assert_int_eq(a->down_line, b->down_line);
    ck_assert_str_eq(a->checksum, b->checksum);
    ck_assert_str_eq(a->checksum_raw, b->checksum_raw);
    assert_ids_eq(a->parents, a->n_parents, b->parents, b->n_parents);
    assert_ids_eq(a->depends_on, a->n_depends_on, b->depends_on, b->n_depends_on);
    assert_ids_eq(a->branch_labels, a->n_branch_labels, b->branch_labels, b->n_branch_labels);
}

static int open_dir(void)
{
    int fd = open(tdir, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static const char *const names[] = { "a.sql", "b.sql", "c.sql" };

/* The cache of the directory open as @fd, with the directory's stat. */
static header_cache *load_cache(int fd, struct stat *dir_st)
{
    ck_assert_int_eq(fstat(fd, dir_st), 0);
    header_cache *c = header_cache_load(fd, dir_st);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void stat_all(header_cache_stat st[3])
{
    for (int i = 0; i < 3; i++) {
        struct stat one;
        ck_assert_int_eq(stat(pgtest_fmt("%s/%s", tdir, names[i]), &one), 0);
        header_cache_stat_of(&one, &st[i]);
    }
}

/* A clock far enough ahead that every file counts as settled (the
 * files were written a moment ago). */
static struct timespec settled_clock(void)
{
    struct timespec later;
    clock_gettime(CLOCK_REALTIME, &later);
    later.tv_sec += 60;
    return later;
}

/* Takes names[] from @c with their stats @st: each the same as @v's,
 * but for @miss (-1: none), which must not be taken. */
static void take_all(header_cache *c, const header_cache_stat st[3], script_file **v, int miss)
{
    for (int i = 0; i < 3; i++) {
        script_file *s = header_cache_take(c, names[i], &st[i], v[i]->path);
        if (i == miss) {
            ck_assert_ptr_null(s);
            continue;
        }
        ck_assert_msg(s != NULL, "%s not found in the cache", names[i]);
        assert_same_script(s, v[i]);
        script_free(s);
    }
}

/* Saves @v as the cache, every file settled. */
static void save_cache(script_file **v)
{
    header_cache_stat st[3];
    struct timespec later = settled_clock();
    stat_all(st);
    int fd = open_dir();
    struct stat dir_st;
    header_cache *c = load_cache(fd, &dir_st);
    header_cache_save(c, fd, &dir_st, names, st, v, 3, &later);
    header_cache_free(c);
    close(fd);
}

static char *cache_path(void)
{
    return pgtest_asprintf("%s/" HEADER_CACHE_NAME "/headers", tdir);
}

START_TEST(reads_back_as_parsed)
{
    script_file **v, **w;
    size_t n, m;
    header_cache_stat st[3];

    write_project();
    read_dir(false, &v, &n);
    ck_assert_uint_eq(n, 3);
    save_cache(v);

    stat_all(st);
    int fd = open_dir();
    struct stat dir_st;
    header_cache *c = load_cache(fd, &dir_st);
    take_all(c, st, v, -1);
    header_cache_free(c);
    close(fd);

    /* And through the directory reader, which finds them cached. */
    read_dir(true, &w, &m);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++)
        assert_same_script(w[i], v[i]);
    script_free_array(w, m);
    script_free_array(v, n);
}
END_TEST

/* The entry of b.sql claims another message: seen only while b.sql's stat
 * is unchanged; any change to the file, even of the same size, is read. */
START_TEST(trusted_only_with_the_same_stat)
{
    script_file **v, **w;
    size_t n, m;

    write_project();
    read_dir(false, &v, &n);
    v[1]->message = (char *)"from the cache"; /* a literal: script_free frees only the block */
    save_cache(v);
    script_free_array(v, n);

    read_dir(true, &w, &m);
    ck_assert_str_eq(w[1]->message, "from the cache"); /* the cache was used */
    script_free_array(w, m);

    read_dir(false, &w, &m);
    ck_assert_str_eq(w[1]->message, "Second"); /* never without use_cache */
    script_free_array(w, m);

    /* Same size, same times put back: the change time still differs. */
    char *b = pgtest_asprintf("%s/b.sql", tdir);
    struct stat before;
    ck_assert_int_eq(stat(b, &before), 0);
    size_t len;
    char *text = pgtest_read_file(b, &len);
    text[3] = 'Z'; /* "-- Zecond" */
    pgtest_write_file(tdir, "b.sql", text);
    struct timespec times[2] = { before.st_atim, before.st_mtim };
    ck_assert_int_eq(utimensat(AT_FDCWD, b, times, 0), 0);
    read_dir(true, &w, &m);
    ck_assert_str_eq(w[1]->message, "Zecond");
    script_free_array(w, m);
    free(text);
    free(b);
}
END_TEST

/*
 * A large directory: a cached header is used, early or late in the
 * listing, only while its file's stat is unchanged.
 */
START_TEST(large_directory_cached)
{
    enum { N = 2500, EARLY = 10, LATE = N - 10 };
    char *names_v[N];
    for (int i = 0; i < N; i++) {
        names_v[i] = pgtest_asprintf("r%04d.sql", i);
        char *text = pgtest_asprintf("-- Number %04d\n-- Revision ID: r%04d\n-- Revises:%s%s\n\n"
                                     "-- migrate:up\nSELECT %d;\n",
                                     i, i, i ? " r" : "", i ? pgtest_fmt("%04d", i - 1) : "", i);
        pgtest_write_file(tdir, names_v[i], text);
        free(text);
    }
    script_file **v, **w;
    size_t n, m;
    read_dir(false, &v, &n);
    ck_assert_uint_eq(n, N);
    v[EARLY]->message = (char *)"cached early"; /* a literal: script_free frees only the block */
    v[LATE]->message = (char *)"cached late";   /* a literal: script_free frees only the block */

    header_cache_stat *st = calloc(N, sizeof(*st));
    for (int i = 0; i < N; i++) {
        struct stat one;
        ck_assert_int_eq(stat(pgtest_fmt("%s/%s", tdir, names_v[i]), &one), 0);
        header_cache_stat_of(&one, &st[i]);
    }
    struct timespec later = settled_clock();
    int fd = open_dir();
    struct stat dir_st;
    header_cache *c = load_cache(fd, &dir_st);
    header_cache_save(c, fd, &dir_st, (const char *const *)names_v, st, v, N, &later);
    header_cache_free(c);
    close(fd);
    script_free_array(v, n);

    read_dir(true, &w, &m);
    ck_assert_str_eq(w[EARLY]->message, "cached early");
    ck_assert_str_eq(w[LATE]->message, "cached late");
    ck_assert_str_eq(w[LATE + 1]->message, pgtest_fmt("Number %04d", LATE + 1));
    script_free_array(w, m);

    /* the late one changed, same size, times put back: read again */
    const char *late = pgtest_fmt("%s/%s", tdir, names_v[LATE]);
    char *text = pgtest_read_file(late, NULL);
    text[3] = 'M'; /* "-- Mumber" */
    pgtest_write_file(tdir, names_v[LATE], text);
    struct timespec mtime = { (time_t)st[LATE].key[HC_MTIME], (long)st[LATE].key[HC_MTIME_NS] };
    struct timespec times[2] = { mtime, mtime };
    ck_assert_int_eq(utimensat(AT_FDCWD, late, times, 0), 0);
    read_dir(true, &w, &m);
    ck_assert_str_eq(w[EARLY]->message, "cached early");
    ck_assert_str_eq(w[LATE]->message, pgtest_fmt("Mumber %04d", LATE));
    script_free_array(w, m);
    free(text);
    free(st);
    for (int i = 0; i < N; i++)
        free(names_v[i]);
}
END_TEST

/* A file the cache does not know, and one it knows that is gone. */
START_TEST(files_added_and_removed)
{
    script_file **v, **w;
    size_t n, m;

    write_project();
    read_dir(false, &v, &n);
    save_cache(v);
    script_free_array(v, n);

    pgtest_write_file(tdir, "ab.sql", "-- Revision ID: ab0\n-- migrate:up\nSELECT 3;\n");
    ck_assert_int_eq(unlink(pgtest_fmt("%s/c.sql", tdir)), 0);
    read_dir(true, &w, &m);
    ck_assert_uint_eq(m, 3);
    ck_assert_str_eq(w[0]->id, "aaa1");
    ck_assert_str_eq(w[1]->id, "ab0");
    ck_assert_str_eq(w[2]->id, "bbb2");
    script_free_array(w, m);
}
END_TEST

/* Every truncation of a good cache, and garbage: never a crash or a wrong
 * header, at worst a miss. */
START_TEST(damaged_cache_is_a_miss)
{
    script_file **v, **w;
    size_t n, m, len;

    write_project();
    read_dir(false, &v, &n);
    save_cache(v);
    char *path = cache_path();
    char *good = pgtest_read_file(path, &len);
    ck_assert_uint_gt(len, 100);

    header_cache_stat st[3];
    stat_all(st);
    for (size_t cut = 0; cut < len; cut++) {
        FILE *f = fopen(path, "wb");
        ck_assert_uint_eq(fwrite(good, 1, cut, f), cut);
        fclose(f);
        int fd = open_dir();
        struct stat dir_st;
        header_cache *c = load_cache(fd, &dir_st);
        for (size_t i = 0; i < n; i++) {
            script_file *s = header_cache_take(c, names[i], &st[i], v[i]->path);
            ck_assert_msg(!s, "%s taken from a cache cut at byte %zu of %zu", names[i], cut, len);
        }
        header_cache_free(c);
        close(fd);
    }
    read_dir(true, &w, &m); /* the last cut in place */
    ck_assert_uint_eq(m, 3);
    for (size_t i = 0; i < m; i++)
        assert_same_script(w[i], v[i]);
    script_free_array(w, m);

    /* A bit flipped in each byte in turn: an entry is taken only as it
     * was written (its hash), so a flip that would still parse (a letter
     * of an id, a hex digit of a checksum) is a miss too, never a header
     * other than the file's. */
    for (size_t at = 0; at < len; at++) {
        char *bad = malloc(len);
        memcpy(bad, good, len);
        bad[at] ^= 0x01;
        FILE *f = fopen(path, "wb");
        ck_assert_uint_eq(fwrite(bad, 1, len, f), len);
        fclose(f);
        free(bad);
        int fd = open_dir();
        struct stat dir_st;
        header_cache *c = load_cache(fd, &dir_st);
        for (size_t i = 0; i < n; i++) {
            script_file *s = header_cache_take(c, names[i], &st[i], v[i]->path);
            if (s)
                assert_same_script(s, v[i]);
            script_free(s);
        }
        header_cache_free(c);
        close(fd);
    }
    free(good);
    free(path);
    script_free_array(v, n);
}
END_TEST

/* An entry whose fields do not parse is a miss for its file alone: the
 * others are still taken, and the cache is written anew. */
START_TEST(damaged_entry_is_a_miss_alone)
{
    script_file **v;
    size_t n, len;

    write_project();
    read_dir(false, &v, &n);
    save_cache(v);
    char *path = cache_path();
    char *data = pgtest_read_file(path, &len);
    /* b.sql's checksum: its first hex digit made a 'g' */
    char *b = memmem(data, len, v[1]->checksum, 64);
    ck_assert_ptr_nonnull(b);
    *b = 'g';
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);

    header_cache_stat st[3];
    stat_all(st);
    int fd = open_dir();
    struct stat dir_st;
    header_cache *c = load_cache(fd, &dir_st);
    take_all(c, st, v, 1);
    /* the caller read b.sql again: the cache is rewritten whole */
    struct timespec later = settled_clock();
    header_cache_save(c, fd, &dir_st, names, st, v, 3, &later);
    header_cache_free(c);
    free(data);
    data = pgtest_read_file(path, &len);
    ck_assert_ptr_nonnull(memmem(data, len, v[1]->checksum, 64));
    close(fd);
    free(data);
    free(path);
    script_free_array(v, n);
}
END_TEST

/* Files written a moment ago are not cached (another change within the
 * timestamps' granularity could hide); a project of only such files
 * leaves no cache at all. */
START_TEST(recent_files_not_cached)
{
    script_file **v;
    size_t n;

    write_project();
    read_dir(true, &v, &n);
    script_free_array(v, n);
    char *path = cache_path();
    ck_assert_int_eq(access(path, F_OK), -1);
    free(path);
}
END_TEST

/* A directory the cache cannot be written to is not an error. */
START_TEST(read_only_directory)
{
    script_file **v;
    size_t n;

    write_project();
    ck_assert_int_eq(mkdir(pgtest_fmt("%s/" HEADER_CACHE_NAME, tdir), 0700), 0);
    ck_assert_int_eq(
        mkdir(pgtest_fmt("%s/" HEADER_CACHE_NAME "/headers.%ld", tdir, (long)getpid()), 0700),
        0); /* the temporary name taken */
    read_dir(false, &v, &n);
    save_cache(v);
    script_free_array(v, n);
    char *path = cache_path();
    ck_assert_int_eq(access(path, F_OK), -1);
    free(path);
}
END_TEST

/*
 * The names come from the cache only while the directory's own stat is
 * the one recorded with them: any file added, removed or renamed changes
 * it.  A cache written before the last change, or whose listing was not
 * complete, gives none.
 */
START_TEST(names_only_while_directory_unchanged)
{
    script_file **v, **w;
    size_t n, m;
    struct stat dir_st;

    write_project();
    read_dir(false, &v, &n);
    save_cache(v);
    int fd = open_dir();
    header_cache *c = load_cache(fd, &dir_st);
    ck_assert_ptr_null(header_cache_names(c, &m)); /* its first write made its directory */
    header_cache_free(c);
    save_cache(v);
    c = load_cache(fd, &dir_st);
    char **got = header_cache_names(c, &m);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(m, 3);
    for (size_t i = 0; i < m; i++)
        ck_assert_str_eq(got[i], names[i]);
    header_cache_free(c);

    /* the cache's own directory is not the versions directory */
    ck_assert_int_eq(fstat(fd, &dir_st), 0);
    struct stat again;
    read_dir(true, &w, &m); /* the names from the cache, nothing written */
    ck_assert_uint_eq(m, 3);
    script_free_array(w, m);
    ck_assert_int_eq(fstat(fd, &again), 0);
    ck_assert_int_eq(again.st_mtim.tv_nsec, dir_st.st_mtim.tv_nsec);
    ck_assert_int_eq(again.st_mtim.tv_sec, dir_st.st_mtim.tv_sec);

    pgtest_write_file(tdir, "notes.txt", "not a revision\n");
    c = load_cache(fd, &dir_st);
    ck_assert_ptr_null(header_cache_names(c, &m));
    header_cache_free(c);
    close(fd);
    script_free_array(v, n);
}
END_TEST

/* A name the cache lists that is not in the directory (a damaged cache
 * with the directory's stat intact): the directory is read after all. */
START_TEST(damaged_name_reads_the_directory)
{
    script_file **v, **w;
    size_t n, m, len;

    write_project();
    read_dir(false, &v, &n);
    save_cache(v);
    save_cache(v); /* the first made the cache's directory */
    char *path = cache_path();
    char *data = pgtest_read_file(path, &len);
    char *a = memmem(data, len, "a.sql", 6); /* with its NUL */
    ck_assert_ptr_nonnull(a);
    a[0] = '0'; /* "0.sql": still in order, never written */
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    struct stat dir_st;
    int fd = open_dir();
    header_cache *c = load_cache(fd, &dir_st);
    char **listed = header_cache_names(c, &m);
    ck_assert_ptr_nonnull(listed);
    ck_assert_str_eq(listed[0], "0.sql");
    header_cache_free(c);
    close(fd);

    read_dir(true, &w, &m);
    ck_assert_uint_eq(m, 3);
    for (size_t i = 0; i < m; i++)
        assert_same_script(w[i], v[i]);
    script_free_array(w, m);
    script_free_array(v, n);
    free(data);
    free(path);
}
END_TEST

/* The cache file of an earlier release, where the directory now goes. */
START_TEST(old_cache_file_replaced)
{
    script_file **v, **w;
    size_t n, m;

    write_project();
    pgtest_write_file(tdir, HEADER_CACHE_NAME, "ultramigrate header cache 1 0.1.0\n0\n");
    read_dir(false, &v, &n);
    save_cache(v);
    char *path = cache_path();
    ck_assert_int_eq(access(path, R_OK), 0);
    read_dir(true, &w, &m);
    ck_assert_uint_eq(m, 3);
    for (size_t i = 0; i < m; i++)
        assert_same_script(w[i], v[i]);
    script_free_array(w, m);
    script_free_array(v, n);
    free(path);
}
END_TEST

/*
 * The stats taken on two threads are fstatat()'s, name by name, whichever
 * thread took them: files and missing names alike, every name asked for
 * or only some, and the reader may stop before the end.
 */
START_TEST(stat_ahead_as_fstatat)
{
    enum { N = 3000 };
    char *names_v[N];
    header_cache_stat *stats = calloc(N, sizeof(*stats));
    ck_assert_ptr_nonnull(stats);
    for (int i = 0; i < N; i++) {
        names_v[i] = pgtest_asprintf("f%04d.sql", i);
        if (i % 7)
            pgtest_write_file(tdir, names_v[i], pgtest_fmt("%d", i)); /* sizes differ */
    }
    int fd = open_dir();
    for (int pass = 0; pass < 3; pass++) {
        stat_ahead *sa = stat_ahead_start(fd, names_v, N, stats, NULL, NULL);
        ck_assert_ptr_nonnull(sa);
        int last = pass == 2 ? N / 3 : N; /* pass 2 stops early */
        for (int i = 0; i < last; i++) {
            if (pass == 1 && i % 3 == 0)
                continue; /* pass 1 skips names, chunk starts among them */
            struct stat want;
            int rc = stat_ahead_get(sa, (size_t)i);
            if (i % 7 == 0) {
                ck_assert_int_eq(rc, ENOENT);
                ck_assert_uint_eq(stats[i].nlink, 0); /* zeros: never cached */
                ck_assert_uint_eq(stats[i].key[HC_INO], 0);
                continue;
            }
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(fstatat(fd, names_v[i], &want, 0), 0);
            ck_assert_uint_eq(stats[i].key[HC_INO], want.st_ino);
            ck_assert_uint_eq(stats[i].key[HC_SIZE], (uint64_t)want.st_size);
            ck_assert_uint_eq(stats[i].key[HC_MTIME_NS], (uint64_t)want.st_mtim.tv_nsec);
            ck_assert_uint_eq(stats[i].mode, want.st_mode);
        }
        stat_ahead_finish(sa);
    }
    close(fd);
    for (int i = 0; i < N; i++)
        free(names_v[i]);
    free(stats);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("header_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60); /* the damaged cases, under valgrind */
    tcase_add_test(tc, reads_back_as_parsed);
    tcase_add_test(tc, trusted_only_with_the_same_stat);
    tcase_add_test(tc, files_added_and_removed);
    tcase_add_test(tc, damaged_cache_is_a_miss);
    tcase_add_test(tc, damaged_entry_is_a_miss_alone);
    tcase_add_test(tc, recent_files_not_cached);
    tcase_add_test(tc, read_only_directory);
    tcase_add_test(tc, large_directory_cached);
    tcase_add_test(tc, names_only_while_directory_unchanged);
    tcase_add_test(tc, damaged_name_reads_the_directory);
    tcase_add_test(tc, old_cache_file_replaced);
    tcase_add_test(tc, stat_ahead_as_fstatat);
    suite_add_tcase(s, tc);
    return pgtest_run_suite(s);
}
