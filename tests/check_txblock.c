/* check_txblock.c - what a transaction block cannot hold, found in a
 * section with libpg_query (lib/txblock.c); no server. */
#include "pgtest.h"
#include "txblock.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a scan found: "K:WHAT@LINE|..." (K: c control, n not in a block,
 * r session reset, v a session setting), "s@LINE" a syntax error, "u@LINE" an unterminated token and the statement texts, "|"-separated. */
typedef struct found {
    char hits[2048];
    char texts[2048];
    int stop_after; /* 0: never stop */
    int n;
} found;

static bool collect(const txblock_hit *hit, void *payload)
{
    found *f = payload;
    char kind = hit->kind == TXBLOCK_CONTROL        ? 'c'
                : hit->kind == TXBLOCK_NOT_IN_BLOCK ? 'n'
                : hit->kind == TXBLOCK_SESSION      ? 'r'
                : hit->kind == TXBLOCK_SETTING      ? 'v'
                                                    : 's';
    size_t len = strlen(f->hits), tlen = strlen(f->texts);
    if (hit->kind == TXBLOCK_SYNTAX_ERROR)
        snprintf(f->hits + len, sizeof(f->hits) - len, "%s%s@%d", len ? "|" : "",
                 hit->unterminated ? "u" : "s", hit->line);
    else
        snprintf(f->hits + len, sizeof(f->hits) - len, "%s%c:%s@%d", len ? "|" : "", kind,
                 hit->what, hit->line);
    snprintf(f->texts + tlen, sizeof(f->texts) - tlen, "%s%s", tlen ? "|" : "", hit->text);
    return ++f->n != f->stop_after;
}

static found scan(const char *sql, int first_line, int stop_after)
{
    found f = { .stop_after = stop_after };
    err_buf err = { 0 };
    ck_assert_int_eq(txblock_scan(sql, first_line, collect, &f, NULL, &err), UM_OK);
    return f;
}

START_TEST(nothing_in_ordinary_ddl)
{
    found f = scan("CREATE TABLE t (id int);\n"
                   "-- COMMIT; VACUUM; in a comment, and database, system, concurrently\n"
                   "/* ROLLBACK; */ INSERT INTO t VALUES (1);\n"
                   "SELECT 'COMMIT;', 'CREATE INDEX CONCURRENTLY';\n"
                   "DO $$ BEGIN PERFORM 1; COMMIT; END $$;\n"
                   "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN END $f$;\n"
                   "SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a;\n"
                   "ANALYZE t; REINDEX TABLE t; CLUSTER t USING i; PREPARE p AS SELECT 1;\n"
                   "CREATE INDEX i ON t (id); DROP INDEX i;\n"
                   "ALTER DATABASE d SET work_mem = '8MB';\n"
                   "COMMENT ON TABLE t IS 'the system database';\n",
                   1, 0);
    ck_assert_str_eq(f.hits, "");
}
END_TEST

START_TEST(every_kind_with_its_line)
{
    found f = scan("\n"
                   "BEGIN; START TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
                   "commit;\nEND;\nROLLBACK;\nabort;\n"
                   "PREPARE TRANSACTION 'p'; COMMIT PREPARED 'p'; ROLLBACK PREPARED 'p';\n"
                   "COMMIT AND CHAIN;\n"
                   "CREATE UNIQUE INDEX CONCURRENTLY i ON t (id);\n"
                   "DROP INDEX CONCURRENTLY IF EXISTS i;\n"
                   "REINDEX (VERBOSE) TABLE CONCURRENTLY t;\n"
                   "REINDEX DATABASE d; REINDEX SYSTEM d;\n"
                   "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;\n"
                   "VACUUM (ANALYZE) t;\n"
                   "ALTER SYSTEM SET work_mem = '8MB';\n"
                   "CREATE DATABASE x;\nDROP DATABASE IF EXISTS x;\n"
                   "CREATE TABLESPACE ts LOCATION '/x';\nDROP TABLESPACE ts;\n"
                   "CLUSTER;\nDISCARD ALL;\ndiscard plans; DISCARD TEMP; DISCARD SEQUENCES;\n"
                   "DEALLOCATE ALL; deallocate prepare p;\n",
                   10, 0);
    ck_assert_str_eq(f.hits, "c:BEGIN@11|c:START TRANSACTION@11|c:COMMIT@12|c:COMMIT@13|"
                             "c:ROLLBACK@14|c:ROLLBACK@15|c:PREPARE TRANSACTION@16|"
                             "c:COMMIT PREPARED@16|c:ROLLBACK PREPARED@16|c:COMMIT@17|"
                             "n:CREATE INDEX CONCURRENTLY@18|n:DROP INDEX CONCURRENTLY@19|"
                             "n:REINDEX CONCURRENTLY@20|n:REINDEX DATABASE@21|"
                             "n:REINDEX SYSTEM@21|n:DETACH PARTITION CONCURRENTLY@22|"
                             "n:VACUUM@23|n:ALTER SYSTEM@24|n:CREATE DATABASE@25|"
                             "n:DROP DATABASE@26|n:CREATE TABLESPACE@27|"
                             "n:DROP TABLESPACE@28|n:CLUSTER (of every table)@29|"
                             "r:DISCARD ALL@30|r:DISCARD PLANS@31|r:DISCARD TEMP@31|"
                             "r:DISCARD SEQUENCES@31|r:DEALLOCATE ALL@32|r:DEALLOCATE@32");
}
END_TEST

/* The line is the statement's first token's, past comments; the text is
 * its first line as written, cut at 60 bytes and never inside a
 * character. */
START_TEST(line_and_text)
{
    found f = scan("SELECT 1;\n/* a\n comment */\n-- another\n   ABORT -- why\n;\n"
                   "VACUUM \"aééééééééééééééééééééééééééééééééééééééééééé\";",
                   5, 0);
    ck_assert_str_eq(f.hits, "c:ROLLBACK@9|n:VACUUM@11");
    char *texts = strdup(f.texts);
    char *second = strchr(texts, '|');
    ck_assert_ptr_nonnull(second);
    *second++ = '\0';
    ck_assert_str_eq(texts, "ABORT -- why");
    /* 'VACUUM "a' is 9 bytes and each é 2: byte 60 is inside the 26th */
    ck_assert_uint_eq(strlen(second), 59);
    ck_assert(strncmp(second, "VACUUM \"aéé", strlen("VACUUM \"aéé")) == 0);
    free(texts);
}
END_TEST

START_TEST(syntax_error_only)
{
    found f = scan("CREATE TABLE t (id int);\nCOMMIT;\nCREAT TABLE u (id int);\n", 20, 0);
    ck_assert_str_eq(f.hits, "s@22");
    f = scan("SELECT 'unterminated;\n", 1, 0);
    ck_assert_str_eq(f.hits, "u@1");
    f = scan("SELECT 1;\n\n/* open\n", 1, 0);
    ck_assert_str_eq(f.hits, "u@3");
    /* the lexer's error wins over an earlier one of the grammar */
    f = scan("CREAT TABLE u (id int);\nSELECT 1;\n/* open\n", 1, 0);
    ck_assert_str_eq(f.hits, "u@3");
}
END_TEST

/* A section of many statements costs time linear in its size: each
 * statement's words are looked for in that statement only (they were once
 * looked for in the rest of the section, minutes for a few megabytes). */
START_TEST(long_section_in_linear_time)
{
    enum { STATEMENTS = 100000 };
    char *sql = malloc((size_t)STATEMENTS * 48 + 64);
    ck_assert_ptr_nonnull(sql);
    size_t len = 0;
    for (int i = 0; i < STATEMENTS; i++)
        len += (size_t)sprintf(sql + len, "insert into seed values (%d, 'ni');\n", i);
    strcpy(sql + len, "COMMIT;\n");
    double start = pgtest_now_ms();
    found f = scan(sql, 1, 0);
    double ms = pgtest_now_ms() - start;
    free(sql);
    ck_assert_str_eq(f.hits, "c:COMMIT@100001");
    /* about 0.1 s here; it took minutes when each statement searched the rest */
    ck_assert_msg(ms < 10000, "a 4 MB section took %.0f ms", ms);
}
END_TEST

/* The session settings a revision changes for the session: SET and RESET
 * (not LOCAL), and set_config(constant name, value, false) called by a
 * statement of its own; not RESET ALL, the transaction's own settings, a
 * call with is_local true or not constant, nor one in a DO block. */
START_TEST(settings)
{
    found f = scan("SET search_path = a, public;\n"
                   "SET LOCAL work_mem = '8MB'; SET ROLE owner; RESET statement_timeout;\n"
                   "SELECT set_config('app.user', 'x', false), pg_catalog.set_config('TimeZone',"
                   " 'UTC', 'off');\n"
                   "SELECT set_config('lock_timeout', '1s', true), set_config(current_user, 'x',"
                   " false);\n"
                   "SELECT set_config('a.b', 'c', is_local) FROM t;\n"
                   "RESET ALL; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
                   "SET transaction_read_only = on;\n"
                   "SELECT set_config('transaction_isolation', 'serializable', false);\n"
                   "SELECT 1 + length(set_config('x.y', 'z', false));\n"
                   "DO $$ BEGIN PERFORM set_config('d.o', 'x', false); END $$;\n",
                   1, 0);
    ck_assert_str_eq(f.hits, "v:search_path@1|v:role@2|v:statement_timeout@2|v:app.user@3|"
                             "v:TimeZone@3");
}
END_TEST

START_TEST(callback_stops)
{
    found f = scan("COMMIT;\nCOMMIT;\nVACUUM;\n", 1, 2);
    ck_assert_str_eq(f.hits, "c:COMMIT@1|c:COMMIT@2");
    f = scan("", 1, 0);
    ck_assert_str_eq(f.hits, "");
}
END_TEST

static Suite *txblock_suite(void)
{
    Suite *s = suite_create("txblock");
    TCase *tc = tcase_create("scan");
    tcase_add_test(tc, nothing_in_ordinary_ddl);
    tcase_add_test(tc, every_kind_with_its_line);
    tcase_add_test(tc, line_and_text);
    tcase_add_test(tc, syntax_error_only);
    tcase_add_test(tc, callback_stops);
    tcase_add_test(tc, settings);
    tcase_add_test(tc, long_section_in_linear_time);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return pgtest_run_suite(txblock_suite());
}
