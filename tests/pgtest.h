/*
 * pgtest.h - the test harness shared by every Check suite.
 *
 * Integration suites run against a real PostgreSQL server: the one named by
 * UM_TEST_DATABASE_URL, or else a throwaway cluster started once per test
 * process by scripts/pg-cluster.sh (initdb + pg_ctl in a temporary
 * directory, as the postgres user when run as root, on a unix socket) and
 * stopped when the process ends.  Each test works in a database of its own.
 */
#ifndef UM_PGTEST_H
#define UM_PGTEST_H

#include <check.h>

/*
 * Runs @s (CK_NORMAL output, or as CK_VERBOSITY says), appends
 * "PASSED FAILED\n" to the file named by UM_TEST_COUNTS_FILE when set, and
 * returns the process exit status.  Suites that need PostgreSQL use
 * pgtest_run_pg_suite() instead.
 */
int pgtest_run_suite(Suite *s);

/* URL of the server's "postgres" database; starts a cluster if needed. */
const char *pgtest_server_url(void);

/* Creates a fresh, empty database; returns its URL (free()). */
char *pgtest_create_database(void);

/* Drops the database of @url (terminating its connections). */
void pgtest_drop_database(const char *url);

/* A new empty temporary directory (free()); removed by pgtest_rmtree. */
char *pgtest_tmpdir(void);
void pgtest_rmtree(const char *dir);

/* Writes @content to @dir/@name, creating missing parent directories. */
void pgtest_write_file(const char *dir, const char *name, const char *content);

/* Runs @sql on @url; returns 0 on success, -1 on failure. */
int pgtest_exec(const char *url, const char *sql);

/* First column of the first row of @sql (free()), NULL on error/no row. */
char *pgtest_query_value(const char *url, const char *sql);

/* A fingerprint of the database's schema (tables, columns, indexes, rows
 * of the bookkeeping tables): equal strings mean unchanged. free(). */
char *pgtest_schema_fingerprint(const char *url);

/*
 * As pgtest_run_suite(), for suites that need PostgreSQL: makes sure a
 * server exists BEFORE Check forks its per-test children (starting a
 * throwaway cluster unless UM_TEST_DATABASE_URL is set), exports its URL as
 * UM_TEST_DATABASE_URL for the children and any CLI they run, runs @s, then
 * stops a cluster it started.  If the server cannot be reached, reports one
 * failure and returns EXIT_FAILURE.
 */
int pgtest_run_pg_suite(Suite *s);

/*
 * A copy of the connection string @url (URL or key=value form) with @key
 * set to @value, or removed when @value is NULL; the result is in
 * key=value form, which libpq accepts wherever it accepts a URL.  free().
 * E.g. pgtest_url_set(url, "password", "wrong").
 */
char *pgtest_url_set(const char *url, const char *key, const char *value);

/* libpq's message for the last failure of pgtest_exec() or
 * pgtest_query_value() in this process ("" after a success).  Static. */
const char *pgtest_last_error(void);

#endif
