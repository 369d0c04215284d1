/*
 * check_drift.c - the drift check (um_verify_options.drift, `verify
 * --drift`, `check --drift`) against a real PostgreSQL.
 *
 * The test's database plays the configured database and a schema.sql in
 * the project plays the declared schema.  Each test changes the database
 * by hand and looks for the finding: a column's type, an extra index, a
 * missing table, a default (ignored with compare_server_default = false);
 * then the JSON, the exit codes, the database left exactly as it was (a
 * snapshot of the catalog rows, their xmin included, and of the data), and
 * no scratch database left behind, after success, an error and SIGINT.
 * Over the autogenerate corpus, drift's script is auto --from-db's up
 * section, with findings exactly when it is not empty.
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_CONFIG = 3, EXIT_MIGRATION = 8, EXIT_STATE = 9 };

#define run_cli(...) pgtest_run_cli(proj_dir, db_url, (const char *const[]){ __VA_ARGS__, NULL })

/* The schema every test starts from, in the database and in schema.sql. */
static const char base_schema[] =
    "CREATE TABLE customer (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'anonymous');\n"
    "CREATE TABLE invoice (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id),"
    " total numeric(12,2));\n"
    "CREATE INDEX invoice_customer ON invoice (customer_id);\n"
    "CREATE VIEW big_invoice AS SELECT id, total FROM invoice WHERE id > 1000;\n";

/* ---- helpers ------------------------------------------------------------- */

/* schema.sql holds @text; the configuration names it, then @extra lines. */
static void declare(const char *text, const char *extra)
{
    pgtest_write_file(proj_dir, "schema.sql", text);
    write_ini(pgtest_fmt("schema_file = %%(here)s/schema.sql\n%s", extra ? extra : ""));
}

/* The database and schema.sql both hold base_schema. */
static void same_schema(const char *extra)
{
    sql("%s", base_schema);
    declare(base_schema, extra);
}

static um_verify_result *verify_drift(um_ctx *ctx)
{
    um_verify_options o;
    um_verify_result *r = NULL;
    ck_assert_int_eq(um_verify_options_init(&o, UM_VERIFY_OPTIONS_VERSION), UM_OK);
    o.drift = 1;
    PGTEST_CHECK_OK(ctx, um_verify(&r, ctx, &o));
    ck_assert_ptr_nonnull(r);
    return r;
}

/* The drift findings as "difference kind name[.attribute],...", in order. */
static const char *drift_list(const um_verify_result *r)
{
    char *s = pgtest_asprintf("%s", "");
    const um_verify_finding *f;
    for (size_t i = 0; (f = um_verify_at(r, i)); i++) {
        if (strcmp(f->code, "drift") != 0)
            continue;
        char *more = pgtest_asprintf("%s%s%s %s %s%s%s", s, *s ? "," : "", f->difference,
                                     f->object_kind, f->object_name, f->attribute ? "." : "",
                                     f->attribute ? f->attribute : "");
        free(s);
        s = more;
    }
    return pgtest_keep(s);
}

/* The only drift finding, which must be there. */
static const um_verify_finding *only_drift(const um_verify_result *r)
{
    ck_assert_msg(um_verify_count(r) == 1, "findings: %s", drift_list(r));
    const um_verify_finding *f = um_verify_at(r, 0);
    ck_assert_str_eq(f->code, "drift");
    ck_assert_int_eq(f->severity, UM_VERIFY_ERROR);
    return f;
}

/* The scratch databases process @pid made and left behind. */
static long scratch_left(pid_t pid)
{
    return pgtest_query_long(pgtest_server_url(),
                             "SELECT count(*) FROM pg_database WHERE datname LIKE"
                             " 'ultramigrate\\_scratch\\_%ld\\_%%'",
                             (long)pid);
}

/*
 * The database as the catalog and the data have it: every row of the
 * catalogs a DDL statement writes, with its xmin (a row rewritten in
 * place, even to the same value, gets a new one), and the tables' rows.
 */
static const char *database_snapshot(void)
{
    /* pg_class without the figures VACUUM and ANALYZE write in place */
    const char *text = pgtest_fmt(
        "pg_class:%s\n",
        qv("SELECT md5(string_agg(concat_ws(' ', c.oid, c.relname, c.relnamespace, c.reltype,"
           " c.relfilenode, c.relkind, c.relnatts, c.relacl, c.reloptions, c.xmin), ','"
           " ORDER BY c.oid)) FROM pg_class c"));
    static const char *const catalogs[] = { "pg_attribute",  "pg_attrdef",   "pg_index",
                                            "pg_constraint", "pg_namespace", "pg_type",
                                            "pg_proc",       "pg_depend",    "pg_description",
                                            "pg_rewrite",    "pg_trigger",   "pg_sequence",
                                            "pg_extension" };
    for (size_t i = 0; i < sizeof(catalogs) / sizeof(catalogs[0]); i++)
        text = pgtest_fmt("%s%s:%s\n", text, catalogs[i],
                          qv("SELECT md5(string_agg(x::text || x.xmin::text, ',' ORDER BY"
                             " x::text)) FROM %s x",
                             catalogs[i]));
    return pgtest_fmt("%sdata:%s", text,
                      qv("SELECT md5((SELECT string_agg(c::text, ',' ORDER BY c.id) FROM customer"
                         " c) || (SELECT string_agg(i::text, ',' ORDER BY i.id) FROM invoice i))"));
}

/* ---- the library ----------------------------------------------------------- */

START_TEST(no_drift_is_clean)
{
    same_schema(NULL);
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    ck_assert_msg(um_verify_count(r) == 0, "findings: %s", drift_list(r));
    ck_assert_ptr_nonnull(um_verify_drift_sql(r));
    ck_assert_str_eq(um_verify_drift_sql(r), "");
    um_verify_free(r);
    /* not asked for: not run */
    PGTEST_CHECK_OK(ctx, um_verify(&r, ctx, NULL));
    ck_assert_ptr_null(um_verify_drift_sql(r));
    um_verify_free(r);
    um_close(ctx);
    ck_assert_int_eq(scratch_left(getpid()), 0);
}
END_TEST

START_TEST(column_type_changed)
{
    same_schema(NULL);
    sql("DROP VIEW big_invoice; ALTER TABLE invoice ALTER COLUMN total TYPE bigint;"
        " CREATE VIEW big_invoice AS SELECT id, total FROM invoice WHERE id > 1000");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    const um_verify_finding *f = only_drift(r);
    ck_assert_str_eq(drift_list(r), "changed column public.invoice.total.type");
    ck_assert_str_eq(f->database_value, "bigint");
    ck_assert_str_eq(f->schema_value, "numeric(12,2)");
    ck_assert_msg(strstr(f->message, "bigint in the database, numeric(12,2) in the schema file"),
                  "%s", f->message);
    ck_assert_msg(
        strstr(f->sql, "ALTER TABLE public.invoice ALTER COLUMN total TYPE numeric(12,2)"), "%s",
        f->sql);
    /* the whole script rebuilds the view that reads the column */
    const char *script = um_verify_drift_sql(r);
    ck_assert_msg(strstr(script, "DROP VIEW public.big_invoice") &&
                      strstr(script, "CREATE VIEW public.big_invoice"),
                  "%s", script);
    ck_assert_uint_eq(um_verify_error_count(r), 1);
    /* and it takes the database to the schema file */
    sql("BEGIN; %s COMMIT;", script);
    um_verify_free(r);
    r = verify_drift(ctx);
    ck_assert_msg(um_verify_count(r) == 0, "after the script: %s", drift_list(r));
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(compare_type_off_ignores_it)
{
    same_schema("compare_type = false");
    sql("DROP VIEW big_invoice; ALTER TABLE invoice ALTER COLUMN total TYPE bigint;"
        " CREATE VIEW big_invoice AS SELECT id, total FROM invoice WHERE id > 1000");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    ck_assert_msg(um_verify_count(r) == 0, "findings: %s", drift_list(r));
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(extra_index)
{
    same_schema(NULL);
    sql("CREATE INDEX customer_name ON customer (name)");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    const um_verify_finding *f = only_drift(r);
    ck_assert_str_eq(drift_list(r), "extra index public.customer_name");
    ck_assert_ptr_null(f->attribute);
    ck_assert_str_eq(f->sql, "DROP INDEX public.customer_name;\n");
    ck_assert_msg(strstr(f->message, "in the database but not in the schema file"), "%s",
                  f->message);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(missing_table)
{
    same_schema(NULL);
    declare(pgtest_fmt("%sCREATE TABLE payment (id integer PRIMARY KEY,"
                       " invoice_id integer REFERENCES invoice (id));\n"
                       "CREATE INDEX payment_invoice ON payment (invoice_id);\n",
                       base_schema),
            NULL);
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    const um_verify_finding *f = only_drift(r);
    /* one finding for the table: its columns, keys and index go with it */
    ck_assert_str_eq(drift_list(r), "missing table public.payment");
    ck_assert_msg(strstr(f->sql, "CREATE TABLE public.payment") &&
                      strstr(f->sql, "PRIMARY KEY (id)") &&
                      strstr(f->sql, "CREATE INDEX payment_invoice") &&
                      strstr(f->sql, "REFERENCES public.invoice(id)"),
                  "%s", f->sql);
    ck_assert_str_eq(f->sql, um_verify_drift_sql(r));
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(default_compared_or_not)
{
    same_schema("compare_server_default = false");
    sql("ALTER TABLE customer ALTER COLUMN name SET DEFAULT 'nobody'");
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    ck_assert_msg(um_verify_count(r) == 0, "ignored, yet: %s", drift_list(r));
    ck_assert_str_eq(um_verify_drift_sql(r), "");
    um_verify_free(r);
    um_close(ctx);

    declare(base_schema, "compare_server_default = true");
    ctx = open_engine();
    r = verify_drift(ctx);
    const um_verify_finding *f = only_drift(r);
    ck_assert_str_eq(drift_list(r), "changed column public.customer.name.default");
    ck_assert_str_eq(f->database_value, "'nobody'::text");
    ck_assert_str_eq(f->schema_value, "'anonymous'::text");
    ck_assert_msg(strstr(f->sql, "SET DEFAULT 'anonymous'::text"), "%s", f->sql);
    um_verify_free(r);
    um_close(ctx);
}
END_TEST

START_TEST(options_and_errors)
{
    same_schema(NULL);
    um_ctx *ctx = open_engine();
    um_verify_result *r = NULL;
    um_verify_options o = UM_VERIFY_OPTIONS_INIT;
    /* drift needs the database */
    o.drift = 1;
    o.offline = 1;
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_EINVAL);
    ck_assert_ptr_null(r);
    /* a host built against version 1 has no drift field: none runs */
    ck_assert_int_eq(um_verify_options_init(&o, 1), UM_OK);
    ck_assert_uint_eq(o.version, 1);
    PGTEST_CHECK_OK(ctx, um_verify(&r, ctx, &o));
    ck_assert_ptr_null(um_verify_drift_sql(r));
    um_verify_free(r);
    ck_assert_ptr_null(um_verify_drift_sql(NULL));
    um_close(ctx);

    /* no schema_file: the key is named */
    write_ini(NULL);
    ctx = open_engine();
    o = (um_verify_options)UM_VERIFY_OPTIONS_INIT;
    o.drift = 1;
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_ECONFIG);
    ck_assert_msg(strstr(um_errmsg(ctx), "schema_file"), "%s", um_errmsg(ctx));
    um_close(ctx);

    /* a schema file that fails: its line named, the scratch database gone */
    declare("CREATE TABLE ok (id integer);\nCREATE TABLE bad (id integr);\n", NULL);
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_verify(&r, ctx, &o), UM_ESQL);
    ck_assert_msg(strstr(um_errmsg(ctx), "schema.sql:2:"), "%s", um_errmsg(ctx));
    um_close(ctx);
    ck_assert_int_eq(scratch_left(getpid()), 0);
}
END_TEST

/* ---- the autogenerate corpus: drift and auto --from-db agree -------------- */

#define MAX_PAIRS 200

static char *pairs[MAX_PAIRS];
static int n_pairs;

/* The corpus, read before the tests fork (pgtest_autogen_pairs). */
static void find_pairs(void)
{
    n_pairs = pgtest_autogen_pairs(pairs, MAX_PAIRS);
}

/* With from.sql in the database and to.sql declared: the drift script is
 * auto --from-db's up section, and there are findings exactly when it is
 * not empty. */
START_TEST(corpus_agrees_with_auto)
{
    const char *dir = pgtest_fmt("%s/tests/autogen/%s", pgtest_env("UM_SOURCE_DIR"), pairs[_i]);
    char *from = pgtest_read_file(pgtest_fmt("%s/from.sql", dir), NULL);
    ck_assert_ptr_nonnull(from);
    ck_assert_msg(pgtest_exec(db_url, from) == 0, "%s: %s", dir, pgtest_last_error());
    free(from);
    write_ini(pgtest_fmt("schema_file = %s/to.sql", dir));
    um_ctx *ctx = open_engine();
    um_autogen_options a = UM_AUTOGEN_OPTIONS_INIT;
    um_autogen_result *res = NULL;
    a.message = "drift";
    a.from_db = 1;
    a.dry_run = 1;
    PGTEST_CHECK_OK(ctx, um_autogenerate(&res, ctx, &a));
    um_verify_result *r = verify_drift(ctx);
    const char *script = um_verify_drift_sql(r);
    ck_assert_msg(strcmp(script, um_autogen_result_up(res)) == 0,
                  "%s: drift and auto differ\n--- drift\n%s\n--- auto\n%s", pairs[_i], script,
                  um_autogen_result_up(res));
    ck_assert_msg((um_verify_count(r) > 0) == (*script != '\0'), "%s: findings %s for\n%s",
                  pairs[_i], drift_list(r), script);
    const um_verify_finding *f;
    for (size_t i = 0; (f = um_verify_at(r, i)); i++)
        ck_assert_msg(f->object_kind && f->object_name && f->difference && f->sql,
                      "%s: finding %zu lacks its drift fields", pairs[_i], i);
    um_verify_free(r);
    um_autogen_result_free(res);
    um_close(ctx);
}
END_TEST

/* ---- read only, nothing left behind ---------------------------------------- */

START_TEST(database_unchanged)
{
    same_schema(NULL);
    sql("INSERT INTO customer VALUES (1, 'a'), (2, 'b');"
        " INSERT INTO invoice VALUES (1, 1, 10), (2, 2, 2000)");
    /* drift of every kind, so that the run has SQL it could have sent */
    sql("CREATE INDEX customer_name ON customer (name);"
        " ALTER TABLE customer ALTER COLUMN name SET DEFAULT 'x';"
        " COMMENT ON TABLE invoice IS 'by hand'; DROP INDEX invoice_customer");
    const char *before = database_snapshot();
    um_ctx *ctx = open_engine();
    um_verify_result *r = verify_drift(ctx);
    ck_assert_msg(um_verify_count(r) == 4, "findings: %s", drift_list(r));
    um_verify_free(r);
    um_close(ctx);
    pgtest_cli_result c = run_cli("check", "--drift");
    pgtest_assert_status(c, EXIT_STATE, "check --drift");
    pgtest_cli_result_free(&c);
    ck_assert_str_eq(database_snapshot(), before);
    ck_assert_int_eq(scratch_left(getpid()), 0);
}
END_TEST

START_TEST(sigint_drops_scratch)
{
    same_schema(NULL);
    declare("CREATE TABLE a (id integer);\nSELECT pg_sleep(60);\n", NULL);
    pid_t pid =
        pgtest_spawn_cli(proj_dir, db_url, (const char *const[]){ "verify", "--drift", NULL });
    int seen = 0;
    for (int i = 0; i < 300 && !seen; i++) {
        seen = pgtest_query_long(pgtest_server_url(),
                                 "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE"
                                 " 'ultramigrate\\_scratch\\_%ld\\_%%' AND query LIKE"
                                 " '%%pg_sleep%%'",
                                 (long)pid) > 0;
        if (!seen)
            usleep(50000);
    }
    ck_assert_msg(seen, "the schema file never started sleeping");
    kill(pid, SIGINT);
    int status = pgtest_wait_child(pid);
    ck_assert_msg(status == EXIT_MIGRATION, "exit %d", status);
    ck_assert_int_eq(scratch_left(pid), 0);
}
END_TEST

/* ---- the command line ------------------------------------------------------ */

START_TEST(cli_text_and_exit)
{
    same_schema(NULL);
    pgtest_cli_result c = run_cli("verify", "--drift");
    pgtest_assert_status(c, EXIT_OK, "verify --drift without drift");
    ck_assert_msg(strstr(c.err, "No drift"), "%s", c.err);
    pgtest_cli_result_free(&c);

    sql("CREATE INDEX customer_name ON customer (name)");
    c = run_cli("verify", "--drift");
    pgtest_assert_status(c, EXIT_STATE, "verify --drift with drift");
    ck_assert_msg(strstr(c.out, "error: index public.customer_name is in the database but not in"
                                " the schema file [drift]") &&
                      strstr(c.out, "DROP INDEX public.customer_name;"),
                  "%s", c.out);
    pgtest_cli_result_free(&c);
    /* without --drift nothing is compared */
    c = run_cli("check");
    pgtest_assert_status(c, EXIT_OK, "check without --drift");
    pgtest_cli_result_free(&c);
    c = run_cli("verify", "--drift", "--offline");
    pgtest_assert_status(c, 2, "verify --drift --offline");
    pgtest_cli_result_free(&c);

    write_ini(NULL);
    c = run_cli("check", "--drift");
    pgtest_assert_status(c, EXIT_CONFIG, "check --drift without schema_file");
    ck_assert_msg(strstr(c.err, "set schema_file"), "%s", c.err);
    pgtest_cli_result_free(&c);
    ck_assert_int_eq(scratch_left(getpid()), 0);
}
END_TEST

START_TEST(cli_json)
{
    same_schema(NULL);
    sql("ALTER TABLE customer ALTER COLUMN id TYPE bigint");
    pgtest_cli_result c = run_cli("--json", "check", "--drift");
    pgtest_assert_status(c, EXIT_STATE, "check --drift --json");
    json_t *doc = pgtest_json_parse(c.out);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "errors")), 1);
    ck_assert_msg(strstr(jstr(doc, "drift_sql"), "ALTER COLUMN id TYPE integer"), "%s", c.out);
    json_t *f = json_array_get(json_object_get(doc, "findings"), 0);
    ck_assert_str_eq(jstr(f, "code"), "drift");
    ck_assert_str_eq(jstr(f, "severity"), "error");
    json_t *d = json_object_get(f, "drift");
    ck_assert_str_eq(jstr(d, "kind"), "column");
    ck_assert_str_eq(jstr(d, "name"), "public.customer.id");
    ck_assert_str_eq(jstr(d, "difference"), "changed");
    ck_assert_str_eq(jstr(d, "attribute"), "type");
    ck_assert_str_eq(jstr(d, "database"), "bigint");
    ck_assert_str_eq(jstr(d, "schema"), "integer");
    ck_assert_msg(strstr(jstr(d, "sql"), "ALTER COLUMN id TYPE integer"), "%s", c.out);
    json_decref(doc);
    pgtest_cli_result_free(&c);

    /* without --drift: "drift_sql" null */
    c = run_cli("--json", "verify");
    pgtest_assert_status(c, EXIT_OK, "verify --json");
    doc = pgtest_json_parse(c.out);
    ck_assert(json_is_null(json_object_get(doc, "drift_sql")));
    json_decref(doc);
    pgtest_cli_result_free(&c);
}
END_TEST

static Suite *drift_suite(void)
{
    Suite *s = suite_create("drift");
    TCase *tc = tcase(s, "library");
    PGTEST_ADD_TESTS(tc, no_drift_is_clean, column_type_changed, compare_type_off_ignores_it,
                     extra_index, missing_table, default_compared_or_not, options_and_errors);
    find_pairs();
    /* tagged: meson runs the corpus in slices beside the rest */
    int first, end;
    pgtest_shard(n_pairs, &first, &end);
    tc = tcase(s, "corpus");
    tcase_set_tags(tc, "corpus");
    tcase_add_loop_test(tc, corpus_agrees_with_auto, first, end);
    tc = tcase(s, "read only");
    PGTEST_ADD_TESTS(tc, database_unchanged, sigint_drops_scratch);
    tc = tcase(s, "cli");
    PGTEST_ADD_TESTS(tc, cli_text_and_exit, cli_json);
    return s;
}

int main(void)
{
    int rc = pgtest_run_pg_suite(drift_suite());
    for (int i = 0; i < n_pairs; i++)
        free(pairs[i]);
    return rc;
}
