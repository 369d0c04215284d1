/*
 * check_tz.c - lib/tz.c (ICU's calendar) against the C library: for zones
 * of every kind (daylight saving time north and south, half-hour and
 * 45-minute offsets, a 30-minute DST, none, rules that changed) and
 * moments from 1900 to 2100, tz_offset agrees with localtime_r under TZ
 * (a test may set TZ; the library may not).  Only names of the time zone
 * database are zones; POSIX TZ strings are refused.  And the Create Date
 * of a generated revision follows the `timezone` setting.
 *
 * ICU carries its own copy of the time zone database, which may be older
 * than the system's (Debian 12's ICU 72 has 2022e): the zones below are
 * ones whose rules did not change since.
 */
#include "pgtest.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"

#define YEAR_1900 (-2208988800LL)
#define YEAR_2100 4102444800LL
#define HOUR      3600LL
#define DAY       (24 * HOUR)

static const char *const zones[] = {
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Asia/Tokyo",
    "Etc/GMT+5",
    "UTC",
};

static long libc_offset(const char *zone, time_t t)
{
    struct tm tm;
    ck_assert_int_eq(setenv("TZ", zone, 1), 0);
    tzset();
    ck_assert_ptr_nonnull(localtime_r(&t, &tm));
    return tm.tm_gmtoff;
}

static void assert_agrees(const char *zone, time_t t)
{
    long ours = 0;
    err_buf err = { 0 };
    int rc = tz_offset(zone, t, &ours, &err);
    ck_assert_msg(rc == UM_OK, "%s: %s", zone, err.d.message);
    long want = libc_offset(zone, t);
    ck_assert_msg(ours == want, "%s at %lld: offset %ld, libc says %ld", zone, (long long)t, ours,
                  want);
}

/* Through the year from @start, every 6 hours; where libc's offset
 * changes, the second it changes is found by bisection and both sides of
 * it compared. */
static void assert_transitions_agree(const char *zone, long long start)
{
    for (long long t = start; t < start + 366 * DAY; t += 6 * HOUR) {
        assert_agrees(zone, (time_t)t);
        long long lo = t, hi = t + 6 * HOUR;
        if (libc_offset(zone, (time_t)lo) == libc_offset(zone, (time_t)hi))
            continue;
        while (hi - lo > 1) {
            long long mid = lo + (hi - lo) / 2;
            if (libc_offset(zone, (time_t)mid) == libc_offset(zone, (time_t)lo))
                lo = mid;
            else
                hi = mid;
        }
        assert_agrees(zone, (time_t)lo);
        assert_agrees(zone, (time_t)hi);
    }
}

/* Every three weeks (and a few hours more, to wander through the day)
 * from @from to 2100; each transition of 2024 and of 2045 (past the
 * transitions a zone file lists, where its rule continues), to the
 * second. */
static void assert_agrees_always(const char *zone, long long from)
{
    for (long long t = from; t < YEAR_2100; t += 21 * DAY + 5 * HOUR + 7)
        assert_agrees(zone, (time_t)t);
    assert_transitions_agree(zone, 1704067200LL); /* 2024 */
    assert_transitions_agree(zone, 2366841600LL); /* 2045 */
}

START_TEST(zone_matches_libc)
{
    assert_agrees_always(zones[_i], YEAR_1900);
}
END_TEST

START_TEST(unknown_zones_refused)
{
    /* ICU would answer each of these with GMT; POSIX TZ strings are not
     * names, and neither is an id longer than any name */
    static const char *const bad[] = { "No/Such_Zone",
                                       "../../etc/passwd",
                                       "/etc/localtime",
                                       "Europe/",
                                       "europe/paris",
                                       "CET-1CEST,M3.5.0,M10.5.0/3",
                                       "<+0530>-5:30",
                                       "Europe/Paris\xff",
                                       "America/Argentina/Buenos_Aires/Buenos_Aires/Buenos_Aires/"
                                       "Buenos_Aires" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long off = 42;
        err_buf err = { 0 };
        ck_assert_int_eq(tz_offset(bad[i], 0, &off, &err), UM_ECONFIG);
        ck_assert_msg(strstr(err.d.message, bad[i]), "message: %s", err.d.message);
        err_clear(&err);
    }
    long off = 42;
    err_buf err = { 0 };
    ck_assert_int_eq(tz_offset("", 0, &off, &err), UM_OK);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(tz_offset("UTC", 1700000000, &off, &err), UM_OK);
    ck_assert_int_eq(off, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Create Date                                                          */
/* ------------------------------------------------------------------ */

/* The Create Date header of a revision the CLI generates with
 * `timezone = @zone` (NULL: none) in the project's configuration. */
static const char *generated_create_date(const char *zone)
{
    char *dir = pgtest_tmpdir();
    pgtest_write_file(dir, "migrations/versions/.keep", "");
    pgtest_write_ini(dir, "ultramigrate.ini", NULL,
                     zone ? pgtest_fmt("timezone = %s\n", zone) : NULL);
    const char *const argv[] = { "-c", "ultramigrate.ini", "generate", "Add things", NULL };
    pgtest_cli_result r = pgtest_run_cli(dir, NULL, argv);
    pgtest_assert_status(r, 0, "generate");
    const char *versions = pgtest_fmt("%s/migrations/versions", dir);
    DIR *d = opendir(versions);
    ck_assert_ptr_nonnull(d);
    char *text = NULL;
    for (struct dirent *e = readdir(d); e && !text; e = readdir(d))
        if (strstr(e->d_name, ".sql"))
            text = pgtest_read_file(pgtest_fmt("%s/%s", versions, e->d_name), NULL);
    closedir(d);
    ck_assert_msg(text != NULL, "no revision file in %s", versions);
    const char *line = strstr(text, "-- Create Date: ");
    ck_assert_ptr_nonnull(line);
    line += strlen("-- Create Date: ");
    const char *date = pgtest_keep(strndup(line, strcspn(line, "\n")));
    free(text);
    pgtest_cli_result_free(&r);
    pgtest_rmtree(dir);
    free(dir);
    return date;
}

/* "+05:30" or "-04" for @offset seconds east, as Create Date writes it. */
static const char *offset_text(long offset)
{
    long east = offset < 0 ? -offset : offset;
    if (east % 3600)
        return pgtest_fmt("%c%02ld:%02ld", offset < 0 ? '-' : '+', east / 3600, east % 3600 / 60);
    return pgtest_fmt("%c%02ld", offset < 0 ? '-' : '+', east / 3600);
}

/* "YYYY-MM-DD HH:MM:SS+hh[:mm]": the local time it shows is now in that
 * zone (give or take the seconds the command took). */
static void assert_create_date(const char *date, const char *zone)
{
    time_t now = time(NULL);
    long offset = libc_offset(zone, now);
    ck_assert_msg(strlen(date) > 19 && strcmp(date + 19, offset_text(offset)) == 0,
                  "Create Date '%s' for %s: offset should be %s", date, zone, offset_text(offset));
    struct tm tm = { 0 };
    ck_assert_msg(strptime(date, "%Y-%m-%d %H:%M:%S", &tm) != NULL, "not a date: %s", date);
    time_t shown = timegm(&tm) - offset;
    ck_assert_msg(shown <= now && now - shown < 60, "Create Date '%s' is not now in %s", date,
                  zone);
}

START_TEST(create_date_in_timezone)
{
    ck_assert_str_eq(generated_create_date(NULL) + 19, "+00");
    static const char *const examples[] = { "Asia/Kolkata", "America/New_York",
                                            "Australia/Lord_Howe", "Europe/Paris" };
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
        assert_create_date(generated_create_date(examples[i]), examples[i]);

    char *dir = pgtest_tmpdir();
    pgtest_write_file(dir, "migrations/versions/.keep", "");
    pgtest_write_ini(dir, "ultramigrate.ini", NULL, "timezone = Mars/Olympus_Mons\n");
    const char *const argv[] = { "-c", "ultramigrate.ini", "generate", "Add things", NULL };
    pgtest_cli_result r = pgtest_run_cli(dir, NULL, argv);
    pgtest_assert_status(r, 3, "generate with an unknown timezone");
    ck_assert_msg(strstr(r.err, "Mars/Olympus_Mons"), "stderr: %s", r.err);
    pgtest_cli_result_free(&r);
    pgtest_rmtree(dir);
    free(dir);
}
END_TEST

static void teardown(void)
{
    pgtest_pool_free();
}

static Suite *tz_suite(void)
{
    Suite *s = suite_create("tz");
    TCase *tc = pgtest_add_tcase(s, "offsets", NULL, teardown, 120);
    /* Under valgrind (meson test --setup valgrind) every zone costs
     * seconds of libc's own zone file reading: the first few show the
     * memory use, the plain and sanitized runs cover them all. */
    int n_zones = (int)(sizeof(zones) / sizeof(zones[0]));
    tcase_add_loop_test(tc, zone_matches_libc, 0, getenv("UM_TEST_VALGRIND") ? 3 : n_zones);
    tcase_add_test(tc, unknown_zones_refused);
    tc = pgtest_add_tcase(s, "create_date", NULL, teardown, 60);
    tcase_add_test(tc, create_date_in_timezone);
    return s;
}

int main(void)
{
    return pgtest_run_suite(tz_suite());
}
