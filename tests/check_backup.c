/*
 * check_backup.c - backups against a real PostgreSQL, with the real
 * pg_dump, pg_restore and psql: the round trip in both formats (every row
 * back, compared by a checksum over the data), a damaged backup refused,
 * the backup an upgrade takes first and the failures that stop it before
 * any revision runs, retention, file modes, and the password out of every
 * output, the manifest and the command lines of the running programs.
 *
 * Each test gets its own database and project directory (pgtest.h's
 * project fixture).
 */
#define PGTEST_SHORT_NAMES
#include "pgtest.h"

#include <ultramigrate/ultramigrate.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <pty.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "S3cret-Backup-Pw"

/* ------------------------------------------------------------------ */
/* Data and helpers                                                     */
/* ------------------------------------------------------------------ */

/* r1: three tables with a sequence, an index, a foreign key; r2 fills
 * them with some thousands of rows of several types. */
static void write_data_revisions(void)
{
    write_rev("r1", NULL,
              "CREATE TABLE a (id serial PRIMARY KEY, v text NOT NULL, n numeric,"
              " t timestamptz);\n"
              "CREATE INDEX a_v ON a (v);\n"
              "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), j jsonb);\n"
              "CREATE TABLE c (k int PRIMARY KEY, data bytea);",
              "DROP TABLE c; DROP TABLE b; DROP TABLE a;");
    write_rev(
        "r2", "r1",
        "INSERT INTO a (id, v, n, t) SELECT g, md5(g::text), g * 1.5,"
        " timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute'"
        " FROM generate_series(1, 5000) g;\n"
        "SELECT setval('a_id_seq', 5000);\n"
        "INSERT INTO b SELECT g, g, jsonb_build_object('g', g, 's', repeat('x', g % 17))"
        " FROM generate_series(1, 3000) g;\n"
        "INSERT INTO c SELECT g, decode(md5(g::text), 'hex') FROM generate_series(1, 2000) g;",
        "DELETE FROM c; DELETE FROM b; DELETE FROM a;");
}

/* A checksum over every row of the tables, the version table and the
 * sequence: equal strings mean the same data, not just as many rows. */
static const char *data_checksum(void)
{
    return qv("SELECT md5(concat_ws('|',"
              " (SELECT string_agg(a::text, ',' ORDER BY id) FROM a),"
              " (SELECT string_agg(b::text, ',' ORDER BY id) FROM b),"
              " (SELECT string_agg(c::text, ',' ORDER BY k) FROM c),"
              " (SELECT string_agg(version_num, ',' ORDER BY version_num)"
              "  FROM ultramigrate_version),"
              " (SELECT last_value::text FROM a_id_seq),"
              " (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
              "  WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i', 'S'))))");
}

/* Drops a table, changes and deletes rows, adds one. */
static void damage_data(void)
{
    sql("DROP TABLE b");
    sql("UPDATE a SET v = 'changed' WHERE id %% 7 = 0");
    sql("DELETE FROM a WHERE id > 4500");
    sql("DELETE FROM c WHERE k %% 2 = 0");
    sql("INSERT INTO c VALUES (100000, '\\x00')");
}

static const char *backup_dir(void)
{
    return pgtest_fmt("%s/backups", proj_dir);
}

static void write_backup_ini(const char *extra)
{
    write_ini(pgtest_fmt("backup_dir = %%(here)s/backups\n%s", extra ? extra : ""));
}

/* A project at r2 with its data; the engine is open on it. */
static um_ctx *migrated_project(const char *extra)
{
    write_backup_ini(extra);
    write_data_revisions();
    um_ctx *ctx = open_engine();
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup = UM_BACKUP_SKIP;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    return ctx;
}

static um_backup_info *take_backup(um_ctx *ctx, um_backup_format format)
{
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    um_backup_info *b = NULL;
    o.format = format;
    PGTEST_CHECK_OK(ctx, um_backup(&b, ctx, &o));
    ck_assert_ptr_nonnull(b);
    return b;
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "stat %s", path);
    return st.st_mode & 07777;
}

/* Names in @dir (not . and ..), sorted, comma-separated; pooled. */
static const char *dir_listing(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    char *out = pgtest_asprintf("%s", "");
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            char *more = pgtest_asprintf("%s%s%s", out, *out ? "," : "", names[i]->d_name);
            free(out);
            out = more;
        }
        free(names[i]);
    }
    free(names);
    return pgtest_keep(out);
}

static size_t count_backups(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));)
        n += strstr(de->d_name, ".json") == NULL && de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Flips one bit in the middle of @path. */
static void flip_a_byte(const char *path)
{
    size_t len = 0;
    char *text = pgtest_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    text[len / 2] ^= 0x01;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    free(text);
}

/* Changes the case of the first letter of the last @word in @path. */
static void flip_last(const char *path, const char *word)
{
    size_t len = 0;
    char *text = pgtest_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    char *at = NULL;
    for (char *p = strstr(text, word); p; p = strstr(p + 1, word))
        at = p;
    ck_assert_msg(at != NULL, "no '%s' in %s", word, path);
    *at ^= 0x20;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    free(text);
}

static const char *last_history(void)
{
    return qv("SELECT direction || ' ' || revision || ' ' || state || ' ' ||"
              " coalesce(checksum, '-') FROM ultramigrate_version_history"
              " ORDER BY id DESC LIMIT 1");
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "bad JSON (%s): %s", jerr.text, text);
    return j;
}

static pgtest_cli_result cli(const char *const argv[])
{
    pgtest_cli_result r = pgtest_run_cli(proj_dir, NULL, argv);
    pgtest_keep(r.out);
    pgtest_keep(r.err);
    return r;
}

/* Everything logged, for the tests that look for a password. */
static char logged[65536];

static void log_to_buffer(um_log_level level, const char *msg, void *payload)
{
    (void)level;
    (void)payload;
    size_t have = strlen(logged);
    snprintf(logged + have, sizeof(logged) - have, "%s\n", msg);
}

/* ------------------------------------------------------------------ */
/* Round trip                                                           */
/* ------------------------------------------------------------------ */

static void round_trip(um_backup_format format, const char *ext)
{
    um_ctx *ctx = migrated_project(NULL);
    const char *before = data_checksum();
    ck_assert_str_ne(before, "<null>");

    um_backup_info *b = take_backup(ctx, format);
    ck_assert_int_eq(b->format, format);
    ck_assert_msg(strstr(b->path, backup_dir()) == b->path, "%s not in backup_dir", b->path);
    ck_assert_msg(strstr(b->path, "_r2") && strstr(b->path, ext), "name %s", b->path);
    ck_assert_uint_eq(b->n_heads, 1);
    ck_assert_str_eq(b->heads[0], "r2");
    ck_assert_int_eq(b->check, UM_BACKUP_OK);
    ck_assert_uint_eq(strlen(b->sha256), 64);
    ck_assert_msg(strstr(db_url, b->database) != NULL, "database %s", b->database);
    ck_assert_msg(file_exists(b->manifest_path), "no manifest %s", b->manifest_path);

    damage_data();
    ck_assert_str_ne(data_checksum(), before);

    um_restore_info *r = NULL;
    PGTEST_CHECK_OK(ctx, um_restore(&r, ctx, b->path, NULL));
    ck_assert_str_eq(data_checksum(), before);
    ck_assert_uint_eq(r->n_heads, 1);
    ck_assert_str_eq(r->heads[0], "r2");
    ck_assert_int_eq(r->verified, 1);
    ck_assert_int_eq(r->format, format);
    ck_assert_str_eq(last_history(), pgtest_fmt("restore r2 ok %s", b->sha256));

    /* the engine goes on as before on the restored database */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    ck_assert_uint_eq(um_status_pending_count(st), 0);
    um_status_free(st);
    um_restore_info_free(r);
    um_backup_info_free(b);
    um_close(ctx);
}

START_TEST(round_trip_custom)
{
    round_trip(UM_BACKUP_CUSTOM, ".dump");
}
END_TEST

START_TEST(round_trip_plain)
{
    round_trip(UM_BACKUP_PLAIN, ".sql");
}
END_TEST

/* The manifest on disk: the fields docs/json.md names. */
START_TEST(manifest_fields)
{
    um_ctx *ctx = migrated_project("backup_format = plain\n");
    um_backup_info *b = take_backup(ctx, UM_BACKUP_FORMAT_DEFAULT);
    ck_assert_int_eq(b->format, UM_BACKUP_PLAIN);
    char *text = pgtest_read_file(b->manifest_path, NULL);
    json_t *m = parse_json(text);
    const char *base = strrchr(b->path, '/') + 1;
    ck_assert_int_eq(json_integer_value(json_object_get(m, "format_version")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(m, "file")), base);
    ck_assert_str_eq(json_string_value(json_object_get(m, "format")), "plain");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "size")), (json_int_t)b->size);
    ck_assert_str_eq(json_string_value(json_object_get(m, "sha256")), b->sha256);
    ck_assert_str_eq(json_string_value(json_object_get(m, "database")), b->database);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m, "heads"), 0)), "r2");
    ck_assert_str_eq(json_string_value(json_object_get(m, "tool_version")), um_version());
    ck_assert_ptr_nonnull(json_string_value(json_object_get(m, "created_at")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(m, "server_version")), "."));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(m, "pg_dump_version")));
    ck_assert_ptr_null(json_object_get(m, "path"));
    /* the file's own digest, computed apart */
    size_t len = 0;
    char *data = pgtest_read_file(b->path, &len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[65];
    ck_assert(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL));
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    ck_assert_str_eq(b->sha256, hex);
    ck_assert_uint_eq(b->size, len);
    free(data);
    json_decref(m);
    free(text);

    json_t *j = parse_json(pgtest_keep(um_backup_info_to_json(b)));
    ck_assert_str_eq(json_string_value(json_object_get(j, "path")), b->path);
    ck_assert_str_eq(json_string_value(json_object_get(j, "check")), "ok");
    json_decref(j);
    ck_assert_ptr_null(um_backup_info_to_json(NULL));
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* --out: the caller's file, never one that exists; no retention there. */
START_TEST(backup_out_file)
{
    um_ctx *ctx = migrated_project("backup_keep = 1\n");
    const char *out = pgtest_fmt("%s/elsewhere/my.dump", proj_dir);
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    um_backup_info *b = NULL;
    o.out = out;
    PGTEST_CHECK_OK(ctx, um_backup(&b, ctx, &o));
    ck_assert_str_eq(b->path, out);
    ck_assert_str_eq(b->manifest_path, pgtest_fmt("%s.json", out));
    um_backup_info_free(b);
    ck_assert_str_eq(dir_listing(pgtest_fmt("%s/elsewhere", proj_dir)), "my.dump,my.dump.json");

    PGTEST_CHECK_RC(ctx, um_backup(&b, ctx, &o), UM_EIO);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "exists"));
    o.format = (um_backup_format)7;
    PGTEST_CHECK_RC(ctx, um_backup(NULL, ctx, &o), UM_EINVAL);

    /* the manifest cannot be written (its temporary name is taken): the
     * backup failed (exit 18), the whole dump stays for restore --force */
    o.format = UM_BACKUP_FORMAT_DEFAULT;
    o.out = pgtest_fmt("%s/elsewhere/second.dump", proj_dir);
    ck_assert_int_eq(mkdir(pgtest_fmt("%s.json.tmp", o.out), 0700), 0);
    PGTEST_CHECK_RC(ctx, um_backup(NULL, ctx, &o), UM_EBACKUP);
    ck_assert_msg(strstr(um_errmsg(ctx), "cannot write the manifest") &&
                      strstr(um_errmsg(ctx), "restore it with --force"),
                  "%s", um_errmsg(ctx));
    ck_assert(file_exists(o.out));
    o.version = 99;
    PGTEST_CHECK_RC(ctx, um_backup(NULL, ctx, &o), UM_EVERSION);
    um_close(ctx);
}
END_TEST

/* Writes a partial file @name in @dir, last written @age_s seconds ago;
 * its path, pooled. */
static const char *plant_partial(const char *dir, const char *name, int age_s)
{
    const char *path = pgtest_fmt("%s/%s", dir, name);
    pgtest_write_file(dir, name, "-- half a dump\n");
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age_s;
    t[1] = t[0];
    ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
    return path;
}

/* Whether some open file holds a flock() on @path. */
static bool flock_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return held;
}

static int partial_locked_cb(const um_backup_progress *p, void *payload)
{
    int *locked = payload;
    if (p->phase == UM_BACKUP_DUMPING && strstr(p->path, ".partial"))
        *locked = flock_held(p->path) ? 1 : -1;
    return 0;
}

/*
 * A run killed while pg_dump wrote leaves its .NAME.partial file: never
 * listed, and removed by the next backup once nothing has written it for
 * a minute and no run holds it, which a run writing one does (flock).  A
 * backup to the same --out file does the same with the one it would
 * write, where the killed run's file made it fail.
 */
START_TEST(stale_partials_removed)
{
    um_ctx *ctx = migrated_project(NULL);
    ck_assert_int_eq(mkdir(backup_dir(), 0700), 0);
    const char *stale =
        plant_partial(backup_dir(), ".backup_20200101T000000Z_x_r2.dump.partial", 3600);
    const char *fresh =
        plant_partial(backup_dir(), ".backup_20200101T000001Z_x_r2.dump.partial", 0);
    const char *held =
        plant_partial(backup_dir(), ".backup_20200101T000002Z_x_r2.dump.partial", 3600);
    int fd = open(held, O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0);

    int locked = 0;
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    um_backup_info *b = NULL;
    o.progress_cb = partial_locked_cb;
    o.progress_payload = &locked;
    PGTEST_CHECK_OK(ctx, um_backup(&b, ctx, &o));
    ck_assert_int_eq(locked, 1);
    ck_assert_msg(!file_exists(stale), "%s is left", stale);
    ck_assert(file_exists(fresh));
    ck_assert(file_exists(held));
    um_backup_list_info *list = NULL;
    PGTEST_CHECK_OK(ctx, um_backup_list(&list, ctx));
    ck_assert_uint_eq(um_backup_list_count(list), 1);
    ck_assert_str_eq(um_backup_list_at(list, 0)->path, b->path);
    um_backup_list_free(list);
    um_backup_info_free(b);
    close(fd);

    o = (um_backup_options)UM_BACKUP_OPTIONS_INIT;
    o.out = pgtest_fmt("%s/mine.dump", proj_dir);
    plant_partial(proj_dir, ".mine.dump.partial", 3600);
    PGTEST_CHECK_OK(ctx, um_backup(NULL, ctx, &o));
    ck_assert(file_exists(o.out));
    ck_assert(!file_exists(pgtest_fmt("%s/.mine.dump.partial", proj_dir)));
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Damaged backups                                                      */
/* ------------------------------------------------------------------ */

START_TEST(corrupted_archive_refused)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    flip_a_byte(b->path);
    sql("DELETE FROM c WHERE k > 10");
    const char *damaged = data_checksum();

    um_restore_info *r = NULL;
    PGTEST_CHECK_RC(ctx, um_restore(&r, ctx, b->path, NULL), UM_ECHECKSUM);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "does not match its manifest"));
    ck_assert_str_eq(data_checksum(), damaged);
    ck_assert_str_eq(qv("SELECT direction FROM ultramigrate_version_history ORDER BY id DESC"
                        " LIMIT 1"),
                     "up");

    /* the command line: refused, exit 9, nothing restored */
    const char *const argv[] = { "-d", db_url, "restore", "--yes", b->path, NULL };
    pgtest_cli_result res = cli(argv);
    pgtest_assert_status(res, 9, "restore of a corrupted backup");
    ck_assert_ptr_nonnull(strstr(res.err, "does not match its manifest"));
    ck_assert_msg(strstr(res.err, "nothing was restored") && strstr(res.err, "restore --force"),
                  "the refusal says what to do next:\n%s", res.err);
    ck_assert_str_eq(data_checksum(), damaged);

    /* the listing flags it */
    um_backup_list_info *list = NULL;
    PGTEST_CHECK_OK(ctx, um_backup_list(&list, ctx));
    ck_assert_uint_eq(um_backup_list_count(list), 1);
    ck_assert_int_eq(um_backup_list_at(list, 0)->check, UM_BACKUP_CHECKSUM_MISMATCH);
    um_backup_list_free(list);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

START_TEST(missing_manifest_needs_force)
{
    um_ctx *ctx = migrated_project(NULL);
    const char *before = data_checksum();
    um_backup_info *b = take_backup(ctx, UM_BACKUP_PLAIN);
    ck_assert_int_eq(unlink(b->manifest_path), 0);
    damage_data();
    const char *damaged = data_checksum();

    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, b->path, NULL), UM_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "no manifest"));
    ck_assert_str_eq(data_checksum(), damaged);

    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    um_restore_info *r = NULL;
    o.force = 1;
    PGTEST_CHECK_OK(ctx, um_restore(&r, ctx, b->path, &o));
    ck_assert_int_eq(r->verified, 0);
    ck_assert_int_eq(r->format, UM_BACKUP_PLAIN); /* told by its content */
    ck_assert_str_eq(data_checksum(), before);
    ck_assert_str_eq(last_history(), "restore r2 ok -");
    um_restore_info_free(r);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/*
 * Plain SQL goes to psql while it is hashed, and only a file that matches
 * commits.  Damaged at its very end, past everything psql executes (its
 * completion comment), the file has been run by psql and nothing of it
 * stays.  A large object makes pg_dump write a COMMIT of its own, after
 * the data and before the constraints: it waits for the check, and is not
 * reached.  Damage in the middle is the checksum's error too, not the SQL
 * error psql may meet first.  The file put right restores.
 */
START_TEST(plain_damaged_late_rolled_back)
{
    um_ctx *ctx = migrated_project(NULL);
    sql("SELECT lo_from_bytea(0, 'a large object')");
    const char *before = data_checksum();
    um_backup_info *b = take_backup(ctx, UM_BACKUP_PLAIN);
    char *text = pgtest_read_file(b->path, NULL);
    ck_assert_msg(strstr(text, "\nCOMMIT;\n") != NULL, "no COMMIT of pg_dump's in the dump");
    free(text);
    damage_data();
    sql("SELECT lo_unlink(oid) FROM pg_largeobject_metadata");
    const char *damaged = data_checksum();
    const char *history = last_history();

    flip_last(b->path, "complete");
    const char *const argv[] = { "-v", "-d", db_url, "restore", "--yes", b->path, NULL };
    pgtest_cli_result res = cli(argv);
    pgtest_assert_status(res, 9, "restore of a plain backup damaged at its end");
    ck_assert_msg(strstr(res.err, "psql ran for") != NULL, "psql did not run:\n%s", res.err);
    ck_assert_msg(strstr(res.err, "does not match its manifest") && strstr(res.err, "SHA-256") &&
                      strstr(res.err, "nothing was restored"),
                  "the error does not name the checksum:\n%s", res.err);
    ck_assert_str_eq(data_checksum(), damaged);
    ck_assert_str_eq(qv("SELECT count(*) FROM pg_largeobject_metadata"), "0");
    ck_assert_str_eq(last_history(), history);

    /* damage psql may fail on first: still the checksum's error */
    flip_last(b->path, "Complete");
    flip_a_byte(b->path);
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, b->path, NULL), UM_ECHECKSUM);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "does not match its manifest"));
    ck_assert_str_eq(data_checksum(), damaged);

    flip_a_byte(b->path);
    um_restore_info *r = NULL;
    PGTEST_CHECK_OK(ctx, um_restore(&r, ctx, b->path, NULL));
    ck_assert_int_eq(r->verified, 1);
    ck_assert_str_eq(data_checksum(), before);
    ck_assert_str_eq(qv("SELECT count(*) FROM pg_largeobject_metadata"), "1");
    um_restore_info_free(r);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/*
 * The same, made certain: psql is at most a socket's buffer behind the
 * feed, so with megabytes after a statement psql has run it before the
 * feed reaches the end and finds the file does not match.  Neither the
 * statement before a COMMIT in the file (held back until the check) nor
 * one before the end (the feed's COMMIT never sent) stays.
 */
START_TEST(plain_mismatch_never_commits)
{
    static const char *const heads[] = { "CREATE TABLE held (x int);\nCOMMIT;\n",
                                         "CREATE TABLE held (x int);\n" };
    um_ctx *ctx = migrated_project(NULL);
    const char *path = pgtest_fmt("%s/crafted.sql", proj_dir);
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(heads[i], f);
        for (int line = 0; line < 65536; line++)
            fprintf(f, "-- %060d\n", line);
        long size = ftell(f);
        fclose(f);
        pgtest_write_file(proj_dir, "crafted.sql.json",
                          pgtest_fmt("{\"format_version\": 1, \"format\": \"plain\","
                                     " \"size\": %ld, \"sha256\": \"%064d\"}",
                                     size, 0));
        PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, path, NULL), UM_ECHECKSUM);
        ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "does not match its manifest"));
        ck_assert_str_eq(qv("SELECT count(*) FROM pg_class WHERE relname = 'held'"), "0");
    }
    um_close(ctx);
}
END_TEST

/* Restores, with force, plain SQL that puts a trigger on @table that
 * refuses @events with @why; the restore is done, its record fails, and
 * the error says the database was restored and why it is not recorded. */
static void expect_restored_not_recorded(um_ctx *ctx, const char *table, const char *events,
                                         const char *why)
{
    pgtest_write_file(proj_dir, "refuse.sql",
                      pgtest_fmt("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                                 " $$BEGIN RAISE EXCEPTION '%s'; END$$;\n"
                                 "CREATE TRIGGER refuse BEFORE %s ON %s"
                                 " FOR EACH ROW EXECUTE FUNCTION refuse();\n",
                                 why, events, table));
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.force = 1;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, pgtest_fmt("%s/refuse.sql", proj_dir), &o), UM_ESQL);
    ck_assert_msg(strstr(um_errmsg(ctx), "was restored from") &&
                      strstr(um_errmsg(ctx), "could not be recorded") &&
                      strstr(um_errmsg(ctx), why),
                  "%s", um_errmsg(ctx));
}

/* The database restored, the record failing (here a trigger the backup
 * brought refuses it): the error says the database was restored. */
START_TEST(restored_but_not_recorded)
{
    um_ctx *ctx = migrated_project(NULL);
    expect_restored_not_recorded(ctx, "ultramigrate_version_history", "INSERT", "no history today");
    um_close(ctx);
}
END_TEST

/* lock_mode = table: the restoring run's lock row cannot be put back
 * (here a trigger the backup brought refuses it): the error says the
 * database was restored, not only that the lock could not be taken. */
START_TEST(restored_but_lock_not_reclaimed)
{
    um_ctx *ctx = migrated_project("lock_mode = table\n");
    expect_restored_not_recorded(ctx, "ultramigrate_version_lock", "INSERT OR UPDATE",
                                 "lock table frozen");
    ck_assert_str_eq(qv("SELECT count(*) FROM ultramigrate_version_lock"), "0");
    um_close(ctx);
}
END_TEST

static void log_to_text(um_log_level level, const char *msg, void *payload)
{
    char *text = payload;
    if (level <= UM_LOG_WARNING)
        snprintf(text + strlen(text), 1024 - strlen(text), "%s\n", msg);
}

/*
 * A backup of another database (its manifest says which) would replace
 * the objects this one shares with it and leave the rest: refused, naming
 * both, unless forced, which restores it with a warning naming both.
 */
START_TEST(restore_of_another_database_refused)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    char *other = pgtest_create_database();
    char *name = pgtest_query_value(other, "SELECT current_database()");
    char logged[1024] = "";
    um_ctx *into = pgtest_project_open_with(&proj, other, NULL, log_to_text, logged);
    PGTEST_CHECK_RC(into, um_restore(NULL, into, b->path, NULL), UM_EBACKUP);
    ck_assert_msg(strstr(um_errmsg(into), pgtest_fmt("a backup of database \"%s\"", b->database)) &&
                      strstr(um_errmsg(into), pgtest_fmt("not of \"%s\"", name)) &&
                      strstr(um_errmsg(into), "--force"),
                  "%s", um_errmsg(into));
    ck_assert(!pgtest_table_exists(other, "a"));

    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.force = 1;
    PGTEST_CHECK_OK(into, um_restore(NULL, into, b->path, &o));
    ck_assert(pgtest_table_exists(other, "a"));
    ck_assert_msg(strstr(logged, pgtest_fmt("\"%s\"", b->database)) &&
                      strstr(logged, pgtest_fmt("\"%s\"", name)),
                  "%s", logged);
    um_close(into);
    pgtest_drop_database(other);
    free(other);
    free(name);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* The restore's progress, and a session that keeps pg_restore waiting. */
struct lost_session {
    PGconn *blocker; /* holds a lock pg_restore needs, until the third call */
    int calls;
};

/* First call (before pg_restore starts): the run's own session is
 * terminated; third: pg_restore may go on, and would commit. */
static int kill_run_session_cb(const um_backup_progress *p, void *payload)
{
    struct lost_session *ls = payload;
    if (p->phase != UM_BACKUP_RESTORING)
        return 0;
    if (++ls->calls == 1) {
        const char *run = "FROM pg_stat_activity WHERE application_name = 'ultramigrate'"
                          " AND datname = current_database() AND pid <> pg_backend_pid()";
        ck_assert_int_eq(qi("SELECT count(pg_terminate_backend(pid)) %s", run), 1);
        for (int i = 0; i < 200 && qi("SELECT count(*) %s", run) > 0; i++)
            usleep(20 * 1000);
    } else if (ls->calls == 3) {
        PQclear(PQexec(ls->blocker, "COMMIT"));
    }
    return 0;
}

/*
 * The run's own session lost while pg_restore runs (here terminated; an
 * idle_session_timeout does the same): the advisory migration lock went
 * with it, so pg_restore is stopped before it commits, and the error
 * says so.  It went on and committed a restore no lock guarded.
 */
START_TEST(restore_stops_when_session_lost)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    sql("UPDATE a SET v = 'after the backup' WHERE id = 1");
    struct lost_session ls = { PQconnectdb(db_url), 0 };
    ck_assert_int_eq(PQstatus(ls.blocker), CONNECTION_OK);
    PQclear(PQexec(ls.blocker, "BEGIN; LOCK TABLE a IN ACCESS SHARE MODE"));
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.progress_cb = kill_run_session_cb;
    o.progress_payload = &ls;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, b->path, &o), UM_ECONNLOST);
    ck_assert_msg(strstr(um_errmsg(ctx), "was stopped before it finished") &&
                      strstr(um_errmsg(ctx), "terminating connection") &&
                      strstr(um_errmsg(ctx), "session") && strstr(um_errmsg(ctx), "lost"),
                  "%s", um_errmsg(ctx));
    PQclear(PQexec(ls.blocker, "COMMIT"));
    PQfinish(ls.blocker);
    /* pg_restore's session ends when it does: nothing committed */
    for (int i = 0; i < 200 && qi("SELECT count(*) FROM pg_stat_activity"
                                  " WHERE application_name = 'pg_restore'") > 0;
         i++)
        usleep(20 * 1000);
    ck_assert_str_eq(qv("SELECT v FROM a WHERE id = 1"), "after the backup");
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* A failing restore is one transaction: the database is as it was. */
START_TEST(failed_restore_changes_nothing)
{
    um_ctx *ctx = migrated_project(NULL);
    const char *path = pgtest_fmt("%s/bad.sql", proj_dir);
    pgtest_write_file(proj_dir, "bad.sql", "DROP TABLE c;\nSELECT * FROM no_such_table;\n");
    const char *before = data_checksum();
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.force = 1;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, path, &o), UM_EBACKUP);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "no_such_table"));
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "rolled back"));
    ck_assert_str_eq(data_checksum(), before);
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, pgtest_fmt("%s/none", proj_dir), &o), UM_EIO);
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, NULL, &o), UM_EINVAL);
    o.version = 0;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, path, &o), UM_EVERSION);
    um_close(ctx);
}
END_TEST

/*
 * lock_mode = table: the lock row belongs to the run that takes a backup,
 * so backups leave the lock table out; restored, that row would lock the
 * database for a run that is gone.  A backup made before they did brings
 * it back all the same: the restoring run puts its own row back in its
 * place.  Either way the restore is recorded and the next run takes the
 * lock.
 */
START_TEST(table_lock_row_not_restored)
{
    um_ctx *ctx = migrated_project("lock_mode = table\n");
    um_backup_info *b = take_backup(ctx, UM_BACKUP_PLAIN);
    char *text = pgtest_read_file(b->path, NULL);
    ck_assert_msg(!strstr(text, "ultramigrate_version_lock"), "the lock table is in the backup");
    free(text);
    PGTEST_CHECK_OK(ctx, um_restore(NULL, ctx, b->path, NULL));
    ck_assert_str_eq(last_history(), pgtest_fmt("restore r2 ok %s", b->sha256));

    sql("INSERT INTO ultramigrate_version_lock (token, host, pid, lease_until)"
        " VALUES ('gone', 'old-host', 1, now() + interval '1 hour')");
    const char *old = pgtest_fmt("%s/old.dump", proj_dir);
    const char *dump = pgtest_fmt("'%s/pg_dump' --format=custom --file='%s' '%s'",
                                  pgtest_pg_bindir(), old, db_url);
    ck_assert_int_eq(system(dump), 0);
    sql("DELETE FROM ultramigrate_version_lock");
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.force = 1;
    PGTEST_CHECK_OK(ctx, um_restore(NULL, ctx, old, &o));
    ck_assert_str_eq(last_history(), "restore r2 ok -");
    ck_assert_str_eq(qv("SELECT count(*) FROM ultramigrate_version_lock"), "0");
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", NULL));
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Before an upgrade                                                    */
/* ------------------------------------------------------------------ */

START_TEST(upgrade_backs_up_first)
{
    write_backup_ini("backup_before_upgrade = true\n");
    write_data_revisions();
    um_ctx *ctx = open_engine();
    um_backup_info *b = NULL;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup_out = &b;

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", &o));
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->n_heads, 0); /* taken before r1 ran */
    ck_assert_msg(strstr(b->path, "_base.dump"), "%s", b->path);
    um_backup_info_free(b);

    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->heads[0], "r1");
    ck_assert_str_eq(versions(), "r2");
    um_backup_info_free(b);
    ck_assert_uint_eq(count_backups(backup_dir()), 2);

    /* nothing to do: no backup, and backup_out says so */
    um_backup_info sentinel;
    b = &sentinel;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    ck_assert_ptr_null(b);
    /* a downgrade never backs up */
    PGTEST_CHECK_OK(ctx, um_rollback(ctx, "r1", &o));
    ck_assert_ptr_null(b);
    /* skipped */
    o.backup = UM_BACKUP_SKIP;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    ck_assert_ptr_null(b);
    ck_assert_uint_eq(count_backups(backup_dir()), 2);
    um_close(ctx);

    /* the command line: the file in --json and in the log; --no-backup */
    write_table_rev("r3", "r2", "t3");
    const char *const up[] = { "-d", db_url, "upgrade", "--json", NULL };
    pgtest_cli_result res = cli(up);
    pgtest_assert_status(res, 0, "upgrade with a backup first");
    json_t *j = parse_json(res.out);
    const char *path = json_string_value(json_object_get(j, "backup"));
    ck_assert_msg(path && file_exists(path), "backup %s", path ? path : "(null)");
    ck_assert_msg(strstr(res.err, path) != NULL, "the log does not name it:\n%s", res.err);
    json_decref(j);

    write_table_rev("r4", "r3", "t4");
    const char *const skip[] = { "-d", db_url, "upgrade", "--json", "--no-backup", NULL };
    res = cli(skip);
    pgtest_assert_status(res, 0, "upgrade --no-backup");
    j = parse_json(res.out);
    ck_assert(json_is_null(json_object_get(j, "backup")));
    json_decref(j);
    ck_assert_uint_eq(count_backups(backup_dir()), 3);
    ck_assert_str_eq(versions(), "r4");
}
END_TEST

/* Forced for a host without the configuration saying so. */
START_TEST(upgrade_backup_always)
{
    write_backup_ini(NULL);
    write_linear(1);
    um_ctx *ctx = open_engine();
    um_backup_info *b = NULL;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.backup_out = &b;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    ck_assert_ptr_null(b); /* backup_before_upgrade is false by default */
    write_table_rev("r2", "r1", "t2");
    um_close(ctx);
    ctx = open_engine();
    o.backup = UM_BACKUP_ALWAYS;
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "heads", &o));
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->heads[0], "r1");
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* The backup fails: no revision runs, the database is unchanged, and the
 * command line exits 18 saying why. */
static void assert_upgrade_stopped(const char *extra, const char *why)
{
    write_backup_ini("backup_before_upgrade = true\n");
    write_data_revisions();
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_OK(ctx, um_upgrade(ctx, "r1", NULL));
    um_close(ctx);

    write_ini(pgtest_fmt("backup_before_upgrade = true\n%s", extra));
    char *before = pgtest_schema_fingerprint(db_url);
    const char *rows = qv("SELECT count(*) FROM a");
    ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EBACKUP);
    ck_assert_msg(strstr(um_errmsg(ctx), why), "'%s' lacks '%s'", um_errmsg(ctx), why);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "nothing was migrated"));
    um_close(ctx);
    char *after = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(after, before);
    ck_assert_str_eq(versions(), "r1");
    ck_assert_str_eq(qv("SELECT count(*) FROM a"), rows);

    const char *const up[] = { "-d", db_url, "upgrade", NULL };
    pgtest_cli_result res = cli(up);
    pgtest_assert_status(res, 18, "upgrade whose backup fails");
    ck_assert_msg(strstr(res.err, why), "stderr lacks '%s':\n%s", why, res.err);
    ck_assert_msg(!strstr(res.err, "Running upgrade"), "a revision ran:\n%s", res.err);
    free(after);
    after = pgtest_schema_fingerprint(db_url);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
}

START_TEST(unwritable_backup_dir_stops_upgrade)
{
    /* a directory below a file: refused to root too, unlike a mode */
    pgtest_write_file(proj_dir, "afile", "not a directory\n");
    assert_upgrade_stopped("backup_dir = %(here)s/afile/backups\n", "Not a directory");
}
END_TEST

START_TEST(missing_pg_dump_stops_upgrade)
{
    ck_assert_int_eq(mkdir(pgtest_fmt("%s/nobin", proj_dir), 0755), 0);
    assert_upgrade_stopped("pg_bin_dir = %(here)s/nobin\n", "pg_dump not found");
}
END_TEST

START_TEST(old_pg_dump_refused)
{
    pgtest_write_file(proj_dir, "oldbin/pg_dump",
                      "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n"
                      "[ \"$1\" = --version ] || touch \"$(dirname \"$0\")/ran\"\n");
    ck_assert_int_eq(chmod(pgtest_fmt("%s/oldbin/pg_dump", proj_dir), 0755), 0);
    assert_upgrade_stopped("pg_bin_dir = %(here)s/oldbin\n", "9.6.24, older than the server");
    /* refused before it ran for the dump */
    ck_assert(!file_exists(pgtest_fmt("%s/oldbin/ran", proj_dir)));
}
END_TEST

/* A database never migrated stays exactly as it was when the backup
 * fails: neither the bookkeeping tables nor their schema are made for a
 * run that does not happen. */
START_TEST(never_migrated_left_untouched)
{
    ck_assert_int_eq(mkdir(pgtest_fmt("%s/nobin", proj_dir), 0755), 0);
    write_backup_ini("backup_before_upgrade = true\n"
                     "version_table_schema = um_books\n"
                     "pg_bin_dir = %(here)s/nobin\n");
    write_data_revisions();
    char *before = pgtest_schema_fingerprint(db_url);
    um_ctx *ctx = open_engine();
    PGTEST_CHECK_RC(ctx, um_upgrade(ctx, "heads", NULL), UM_EBACKUP);
    ck_assert_ptr_nonnull(strstr(um_errmsg(ctx), "pg_dump not found"));
    um_close(ctx);
    char *after = pgtest_schema_fingerprint(db_url);
    ck_assert_msg(strcmp(after, before) == 0, "the database changed: %.800s", after);
    free(after);

    const char *const up[] = { "-d", db_url, "upgrade", NULL };
    pgtest_cli_result res = cli(up);
    pgtest_assert_status(res, 18, "upgrade of a new database whose backup fails");
    after = pgtest_schema_fingerprint(db_url);
    ck_assert_msg(strcmp(after, before) == 0, "the database changed: %.800s", after);
    ck_assert_str_eq(qv("SELECT count(*) FROM pg_namespace WHERE nspname = 'um_books'"), "0");
    free(after);
    free(before);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Several hosts                                                        */
/* ------------------------------------------------------------------ */

/* A value of @url's connection parameters; pooled. */
static const char *url_param(const char *url, const char *keyword)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    ck_assert_ptr_nonnull(opts);
    const char *value = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val)
            value = pgtest_fmt("%s", o->val);
    PQconninfoFree(opts);
    ck_assert_msg(value != NULL, "%s has no %s", url, keyword);
    return value;
}

/* pg_bin_dir with the real programs behind scripts; pg_dump's writes the
 * host, port and address it was given to @dir/given. */
static void recording_bin_dir(const char *dir)
{
    const char *real = pgtest_pg_bindir();
    pgtest_write_file(
        dir, "pg_dump",
        pgtest_fmt("#!/bin/sh\n"
                   "[ \"$1\" = --version ] ||"
                   " printf '%%s %%s %%s\\n' \"$PGHOST\" \"$PGPORT\" \"$PGHOSTADDR\" >>'%s/given'\n"
                   "exec '%s/pg_dump' \"$@\"\n",
                   dir, real));
    pgtest_write_file(dir, "pg_restore",
                      pgtest_fmt("#!/bin/sh\nexec '%s/pg_restore' \"$@\"\n", real));
    pgtest_write_file(dir, "psql", pgtest_fmt("#!/bin/sh\nexec '%s/psql' \"$@\"\n", real));
    const char *const names[] = { "pg_dump", "pg_restore", "psql" };
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(chmod(pgtest_fmt("%s/%s", dir, names[i]), 0755), 0);
}

/* Two hosts, the first refusing connections (a closed port): pg_dump is
 * given the server the engine reached, not the list to try again. */
START_TEST(multi_host_dumps_the_live_server)
{
    const char *bin = pgtest_fmt("%s/bin", proj_dir);
    ck_assert_int_eq(mkdir(bin, 0755), 0);
    recording_bin_dir(bin);
    um_ctx *ctx = migrated_project(pgtest_fmt("pg_bin_dir = %s\n", bin));
    um_close(ctx);
    const char *host = url_param(db_url, "host"), *port = url_param(db_url, "port");
    const char *hosts =
        pgtest_keep(pgtest_url_set(db_url, "host", pgtest_fmt("127.0.0.1,%s", host)));
    const char *url = pgtest_keep(pgtest_url_set(hosts, "port", pgtest_fmt("1,%s", port)));

    ctx = pgtest_project_open_with(&proj, url, NULL, NULL, NULL);
    const char *before = data_checksum();
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    char *given = pgtest_read_file(pgtest_fmt("%s/given", bin), NULL);
    ck_assert_ptr_nonnull(given);
    ck_assert_str_eq(given, pgtest_fmt("%s %s \n", host, port));
    free(given);

    damage_data();
    um_restore_info *r = NULL;
    PGTEST_CHECK_OK(ctx, um_restore(&r, ctx, b->path, NULL));
    ck_assert_str_eq(data_checksum(), before);
    um_restore_info_free(r);
    um_backup_info_free(b);
    um_close(ctx);

    /* over TCP, a name of several addresses (localhost: ::1, where the
     * server does not listen, and 127.0.0.1): the address reached too */
    const char *role = pgtest_fmt("um_bk_hosts_%ld", (long)getpid());
    ck_assert_msg(
        pgtest_exec(pgtest_server_url(),
                    pgtest_fmt("CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'", role, SECRET)) == 0,
        "%s", pgtest_last_error());
    const char *tcp = pgtest_keep(pgtest_url_set(url, "host", "127.0.0.1,localhost"));
    const char *user = pgtest_keep(pgtest_url_set(tcp, "user", role));
    const char *with_pw = pgtest_keep(pgtest_url_set(user, "password", SECRET));
    unlink(pgtest_fmt("%s/given", bin));
    ctx = pgtest_project_open_with(&proj, with_pw, NULL, NULL, NULL);
    b = take_backup(ctx, UM_BACKUP_PLAIN);
    given = pgtest_read_file(pgtest_fmt("%s/given", bin), NULL);
    ck_assert_ptr_nonnull(given);
    ck_assert_str_eq(given, pgtest_fmt("localhost %s 127.0.0.1\n", port));
    free(given);
    um_backup_info_free(b);
    um_close(ctx);
    pgtest_exec(pgtest_server_url(), pgtest_fmt("DROP ROLE %s", role));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Retention, listing, modes                                            */
/* ------------------------------------------------------------------ */

START_TEST(retention_keeps_n)
{
    um_ctx *ctx = migrated_project("backup_keep = 2\n");
    /* a file without a manifest is never counted or deleted */
    ck_assert_int_eq(mkdir(backup_dir(), 0700), 0);
    pgtest_write_file(backup_dir(), "backup_manual.dump", "not ours\n");
    const char *paths[4];
    for (int i = 0; i < 4; i++) {
        um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
        paths[i] = pgtest_fmt("%s", b->path);
        um_backup_info_free(b);
    }
    /* the two newest and their manifests, and the file without one (a
     * name freed within the same second may be used again) */
    const char *listing = dir_listing(backup_dir());
    for (int i = 2; i < 4; i++)
        ck_assert_msg(strstr(listing, pgtest_fmt("%s.json", strrchr(paths[i], '/') + 1)),
                      "%s lacks %s", listing, paths[i]);
    ck_assert_msg(strstr(listing, "backup_manual.dump"), "%s", listing);
    ck_assert_uint_eq(count_backups(backup_dir()), 3);
    size_t entries = 1;
    for (const char *c = listing; *c; c++)
        entries += *c == ',';
    ck_assert_msg(entries == 5, "%s", listing);

    um_backup_list_info *list = NULL;
    PGTEST_CHECK_OK(ctx, um_backup_list(&list, ctx));
    ck_assert_uint_eq(um_backup_list_count(list), 3);
    ck_assert_str_eq(um_backup_list_at(list, 0)->path, paths[3]); /* newest first */
    ck_assert_str_eq(um_backup_list_at(list, 1)->path, paths[2]);
    ck_assert_int_eq(um_backup_list_at(list, 2)->check, UM_BACKUP_NO_MANIFEST);
    ck_assert_ptr_null(um_backup_list_at(list, 3));
    um_backup_list_free(list);
    um_close(ctx);
}
END_TEST

START_TEST(list_flags_and_json)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *old = take_backup(ctx, UM_BACKUP_CUSTOM);
    um_backup_info *gone = take_backup(ctx, UM_BACKUP_PLAIN);
    um_backup_info *newest = take_backup(ctx, UM_BACKUP_CUSTOM);
    flip_a_byte(old->path);
    ck_assert_int_eq(unlink(gone->path), 0);

    const char *const argv[] = { "-d", db_url, "backup", "--list", "--json", NULL };
    pgtest_cli_result res = cli(argv);
    pgtest_assert_status(res, 0, "backup --list --json");
    json_t *j = parse_json(res.out);
    json_t *a = json_object_get(j, "backups");
    ck_assert_uint_eq(json_array_size(a), 3);
    json_t *first = json_array_get(a, 0), *second = json_array_get(a, 1),
           *third = json_array_get(a, 2);
    ck_assert_str_eq(json_string_value(json_object_get(first, "path")), newest->path);
    ck_assert_str_eq(json_string_value(json_object_get(first, "check")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(second, "check")), "file_missing");
    ck_assert_str_eq(json_string_value(json_object_get(third, "check")), "checksum_mismatch");
    ck_assert_str_eq(json_string_value(json_object_get(j, "directory")), backup_dir());
    json_decref(j);

    const char *const text[] = { "-d", db_url, "backup", "--list", NULL };
    res = cli(text);
    pgtest_assert_status(res, 0, "backup --list");
    ck_assert_ptr_nonnull(strstr(res.out, "CHECKSUM MISMATCH"));
    ck_assert_ptr_nonnull(strstr(res.out, "file missing"));
    /* in columns: the paths, last, start at one offset; sizes in kB here */
    ck_assert_msg(strstr(res.out, " kB  "), "%s", res.out);
    long path_col = -1;
    for (const char *line = res.out; *line; line = strchr(line, '\n') + 1) {
        const char *path = strstr(line, backup_dir());
        ck_assert_ptr_nonnull(path);
        if (path_col < 0)
            path_col = path - line;
        ck_assert_msg(path - line == path_col, "not aligned:\n%s", res.out);
    }

    /* no directory yet: an empty list */
    write_ini("backup_dir = %(here)s/nothing-here\n");
    um_close(ctx);
    ctx = open_engine();
    um_backup_list_info *list = NULL;
    PGTEST_CHECK_OK(ctx, um_backup_list(&list, ctx));
    ck_assert_uint_eq(um_backup_list_count(list), 0);
    char *empty = um_backup_list_to_json(list);
    ck_assert_ptr_nonnull(strstr(empty, "\"backups\": []"));
    um_free(empty);
    um_backup_list_free(list);
    ck_assert_ptr_null(um_backup_list_to_json(NULL));
    ck_assert_uint_eq(um_backup_list_count(NULL), 0);
    um_backup_list_free(NULL);
    um_backup_info_free(NULL);
    um_backup_info_free(old);
    um_backup_info_free(gone);
    um_backup_info_free(newest);
    um_close(ctx);
}
END_TEST

START_TEST(file_and_directory_modes)
{
    umask(022);
    um_ctx *ctx = migrated_project(NULL);
    ck_assert(!file_exists(backup_dir()));
    for (int f = UM_BACKUP_CUSTOM; f <= UM_BACKUP_PLAIN; f++) {
        um_backup_info *b = take_backup(ctx, (um_backup_format)f);
        ck_assert_uint_eq(mode_of(backup_dir()), 0700);
        ck_assert_uint_eq(mode_of(b->path), 0600);
        ck_assert_uint_eq(mode_of(b->manifest_path), 0600);
        um_backup_info_free(b);
    }
    /* no temporary file left behind */
    ck_assert_msg(!strstr(dir_listing(backup_dir()), ".partial"), "%s", dir_listing(backup_dir()));
    um_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancelling and confirming                                            */
/* ------------------------------------------------------------------ */

static int cancel_at_once(const um_backup_progress *p, void *payload)
{
    (void)p;
    (*(int *)payload)++;
    return 1;
}

START_TEST(cancel_leaves_nothing)
{
    um_ctx *ctx = migrated_project(NULL);
    int calls = 0;
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    o.progress_cb = cancel_at_once;
    o.progress_payload = &calls;
    PGTEST_CHECK_RC(ctx, um_backup(NULL, ctx, &o), UM_ECANCELLED);
    ck_assert_int_ge(calls, 1);
    ck_assert_str_eq(dir_listing(backup_dir()), "");
    um_close(ctx);
}
END_TEST

/*
 * Calls @fn with each process's command line, its arguments joined by
 * spaces as `ps` shows them to any local user, until @fn returns true.
 */
static void each_command_line(bool (*fn)(pid_t pid, const char *line, void *arg), void *arg)
{
    DIR *d = opendir("/proc");
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char path[300], line[8192];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n <= 0)
            continue;
        for (ssize_t k = 0; k < n; k++)
            line[k] = line[k] ? line[k] : ' ';
        line[n] = '\0';
        if (fn((pid_t)atoi(de->d_name), line, arg))
            break;
    }
    if (d)
        closedir(d);
}

struct wanted_process {
    const char *name, *needle;
    pid_t found;
};

static bool is_wanted_process(pid_t pid, const char *line, void *arg)
{
    struct wanted_process *w = arg;
    size_t a0 = strcspn(line, " ");
    const char *base = line + a0;
    while (base > line && base[-1] != '/')
        base--;
    if (strncmp(base, w->name, strlen(w->name)) == 0 && strstr(line, w->needle))
        w->found = pid;
    return w->found > 0;
}

/* The process whose program (argv[0], less any directory) starts with
 * @name and whose command line holds @needle; -1 when none does. */
static pid_t find_process(const char *name, const char *needle)
{
    struct wanted_process w = { name, needle, -1 };
    each_command_line(is_wanted_process, &w);
    return w.found;
}

/* Gone, or a zombie nobody has reaped yet. */
static bool process_gone(pid_t pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, stat, sizeof(stat) - 1);
    close(fd);
    const char *state = n > 0 ? strrchr(stat, ')') : NULL;
    return !state || state[2] == 'Z' || state[2] == 'X';
}

/*
 * A run killed outright (SIGKILL: nothing of it runs after) takes its
 * pg_dump with it: left alone, a dump or a restore goes on without the
 * migration lock.  pg_dump waits here on a table the test holds locked.
 */
START_TEST(killed_run_takes_its_pg_dump_along)
{
    um_close(migrated_project(NULL));
    PGconn *holder = PQconnectdb(db_url);
    ck_assert_int_eq(PQstatus(holder), CONNECTION_OK);
    PQclear(PQexec(holder, "BEGIN; LOCK TABLE a IN ACCESS EXCLUSIVE MODE"));
    pid_t run = pgtest_spawn_cli(proj_dir, db_url, (const char *const[]){ "backup", NULL });
    pid_t dump = -1;
    for (int i = 0; i < 1000 && dump < 0; i++) {
        if (strcmp(qv("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'"
                      " AND wait_event_type = 'Lock' AND datname = current_database()"),
                   "1") == 0)
            dump = find_process("pg_dump", proj_dir);
        else
            usleep(10000);
    }
    ck_assert_msg(dump > 0, "pg_dump never waited on the lock: %s",
                  pgtest_keep(pgtest_read_file(pgtest_fmt("%s/background.err", proj_dir), NULL)));
    ck_assert_int_eq(kill(run, SIGKILL), 0);
    ck_assert_int_eq(waitpid(run, NULL, 0), run);
    for (int i = 0; i < 500 && !process_gone(dump); i++)
        usleep(10000);
    bool gone = process_gone(dump);
    if (!gone)
        kill(dump, SIGKILL);
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
    ck_assert_msg(gone, "pg_dump (pid %d) outlived its run", (int)dump);
}
END_TEST

struct confirm_seen {
    char database[128];
    char backup_database[128];
    int answer;
};

static int confirm_cb(const um_restore_target *t, void *payload)
{
    struct confirm_seen *seen = payload;
    snprintf(seen->database, sizeof(seen->database), "%s", t->database);
    snprintf(seen->backup_database, sizeof(seen->backup_database), "%s",
             t->backup ? t->backup->database : "(none)");
    return seen->answer;
}

START_TEST(restore_asks_first)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    damage_data();
    const char *damaged = data_checksum();
    struct confirm_seen seen = { "", "", 1 };
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.confirm_cb = confirm_cb;
    o.confirm_payload = &seen;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, b->path, &o), UM_ECANCELLED);
    ck_assert_str_eq(seen.database, b->database);
    ck_assert_str_eq(seen.backup_database, b->database);
    ck_assert_str_eq(data_checksum(), damaged);
    seen.answer = 0;
    PGTEST_CHECK_OK(ctx, um_restore(NULL, ctx, b->path, &o));
    ck_assert_str_ne(data_checksum(), damaged);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* What a restore's callbacks did with the running handle. */
struct calls_in {
    um_ctx *ctx;
    int answer;       /* the confirmation's */
    int calls;        /* callbacks that called in */
    int refused;      /* calls refused with UM_EINVAL */
    int lookups_ok;   /* lookups of a known id that worked */
    int lookups_gone; /* lookups of an unknown id that failed */
};

/* What a callback may call (lookups, one failing) and what it may not. */
static void restore_calls_back_in(struct calls_in *in)
{
    const um_revision *rev = NULL;
    um_status_info *st = NULL;
    um_backup_info *b = NULL;
    in->calls++;
    in->lookups_ok += um_revision_lookup(&rev, in->ctx, "r1") == UM_OK && rev;
    in->lookups_gone += um_revision_lookup(&rev, in->ctx, "nope") == UM_ETARGET;
    in->refused += um_status(&st, in->ctx) == UM_EINVAL && !st;
    in->refused += um_backup(&b, in->ctx, NULL) == UM_EINVAL && !b;
    in->refused += um_restore(NULL, in->ctx, "elsewhere.dump", NULL) == UM_EINVAL;
    um_close(in->ctx); /* ignored: the running call holds the handle */
}

static int confirm_calls_back(const um_restore_target *t, void *payload)
{
    (void)t;
    struct calls_in *in = payload;
    restore_calls_back_in(in);
    return in->answer;
}

static int restore_progress_calls_back(const um_backup_progress *p, void *payload)
{
    (void)p;
    restore_calls_back_in(payload);
    return 0;
}

/*
 * A restore's confirmation and progress callbacks may look revisions up
 * on the running handle and nothing else: other calls fail with
 * UM_EINVAL, um_close() is ignored, and a lookup that fails changes
 * neither the restore's outcome nor the error the handle reports.
 */
START_TEST(restore_callbacks_calling_back_in)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    struct calls_in in = { .ctx = ctx, .answer = 1 };
    um_restore_options o = UM_RESTORE_OPTIONS_INIT;
    o.confirm_cb = confirm_calls_back;
    o.confirm_payload = &in;
    PGTEST_CHECK_RC(ctx, um_restore(NULL, ctx, b->path, &o), UM_ECANCELLED);
    ck_assert_msg(strstr(um_errmsg(ctx), "was not confirmed"), "%s", um_errmsg(ctx));
    ck_assert_int_eq(in.calls, 1);

    in.answer = 0;
    o.progress_cb = restore_progress_calls_back;
    o.progress_payload = &in;
    PGTEST_CHECK_OK(ctx, um_restore(NULL, ctx, b->path, &o));
    ck_assert_int_ge(in.calls, 4); /* verifying, the confirmation, restoring, finished */
    ck_assert_int_eq(in.lookups_ok, in.calls);
    ck_assert_int_eq(in.lookups_gone, in.calls);
    ck_assert_int_eq(in.refused, 3 * in.calls);
    ck_assert_str_eq(last_history(), pgtest_fmt("restore r2 ok %s", b->sha256));
    /* after the call, the handle is the host's again */
    um_status_info *st = NULL;
    PGTEST_CHECK_OK(ctx, um_status(&st, ctx));
    um_status_free(st);
    um_backup_info_free(b);
    um_close(ctx);
}
END_TEST

/* Runs the CLI with a terminal as stdin, on which @typed is typed. */
static pgtest_cli_result cli_on_terminal(const char *const argv[], const char *typed)
{
    int master = -1, slave = -1, po[2], pe[2];
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid();
        dup2(slave, STDIN_FILENO);
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        pgtest_child_env(proj_dir, NULL);
        size_t n = 0;
        while (argv[n])
            n++;
        char **av = calloc(n + 2, sizeof(*av));
        av[0] = (char *)"ultramigrate";
        memcpy(av + 1, argv, n * sizeof(*av));
        execv(pgtest_env("UM_CLI"), av);
        _exit(127);
    }
    close(slave);
    close(po[1]);
    close(pe[1]);
    ck_assert_int_eq(write(master, typed, strlen(typed)), (ssize_t)strlen(typed));
    /* the output is small: read stdout, then stderr */
    char out[65536] = "", err[65536] = "";
    ssize_t n, have = 0;
    while ((n = read(po[0], out + have, sizeof(out) - 1 - (size_t)have)) > 0)
        have += n;
    out[have] = '\0';
    have = 0;
    while ((n = read(pe[0], err + have, sizeof(err) - 1 - (size_t)have)) > 0)
        have += n;
    err[have] = '\0';
    close(po[0]);
    close(pe[0]);
    close(master);
    pgtest_cli_result r = { pgtest_wait_child(pid), strdup(out), strdup(err) };
    pgtest_keep(r.out);
    pgtest_keep(r.err);
    return r;
}

START_TEST(cli_restore_confirmation)
{
    um_ctx *ctx = migrated_project(NULL);
    um_backup_info *b = take_backup(ctx, UM_BACKUP_CUSTOM);
    const char *dbname = pgtest_fmt("%s", b->database);
    um_close(ctx);
    damage_data();
    const char *damaged = data_checksum();

    /* no terminal to ask on, no --yes: refused before anything */
    int saved = dup(STDIN_FILENO);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    const char *const plain[] = { "-d", db_url, "restore", b->path, NULL };
    pgtest_cli_result res = cli(plain);
    dup2(saved, STDIN_FILENO);
    close(null);
    close(saved);
    pgtest_assert_status(res, 2, "restore without a terminal or --yes");
    ck_assert_ptr_nonnull(strstr(res.err, "--yes"));
    ck_assert_str_eq(data_checksum(), damaged);

    /* a terminal: the wrong name refuses, the database's name restores */
    res = cli_on_terminal(plain, "yes\n");
    pgtest_assert_status(res, 8, "restore confirmed with 'yes'");
    ck_assert_ptr_nonnull(strstr(res.err, "Type the database's name"));
    ck_assert_ptr_nonnull(strstr(res.err, dbname));
    ck_assert_str_eq(data_checksum(), damaged);
    res = cli_on_terminal(plain, pgtest_fmt("%s\n", dbname));
    pgtest_assert_status(res, 0, "restore confirmed by name");
    ck_assert_str_eq(res.out, "r2\n");
    ck_assert_str_ne(data_checksum(), damaged);

    /* --yes, --into, --json */
    damage_data();
    const char *const into[] = { "restore", "--yes", "--json", "--into", db_url, b->path, NULL };
    res = cli(into);
    pgtest_assert_status(res, 0, "restore --yes --into --json");
    json_t *j = parse_json(res.out);
    ck_assert_str_eq(json_string_value(json_object_get(j, "database")), dbname);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "heads"), 0)), "r2");
    ck_assert(json_is_true(json_object_get(j, "verified")));
    json_decref(j);
    const char *const both[] = { "-d", db_url, "restore", "--into", db_url, b->path, NULL };
    res = cli(both);
    pgtest_assert_status(res, 2, "restore with -d and --into");
    um_backup_info_free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The password                                                         */
/* ------------------------------------------------------------------ */

struct watch {
    PGconn *blocker; /* holds a lock pg_dump waits for */
    int pg_dumps;    /* pg_dump processes seen */
    int scans;       /* looks without seeing pg_dump */
    int leaks;       /* command lines showing the password */
    char leak[512];
};

/* A command line, as `ps` shows it to any local user. */
static bool watch_command_line(pid_t pid, const char *line, void *arg)
{
    struct watch *w = arg;
    (void)pid;
    if (strstr(line, "pg_dump") && strstr(line, "--file="))
        w->pg_dumps++;
    if (strstr(line, SECRET) && w->leaks++ == 0)
        snprintf(w->leak, sizeof(w->leak), "%.500s", line);
    return false;
}

static void scan_command_lines(struct watch *w)
{
    each_command_line(watch_command_line, w);
}

/* pg_dump waits for the lock: look at the command lines until it shows
 * (a process just started may not show its arguments yet), then let go. */
static int watch_pg_dump(const um_backup_progress *p, void *payload)
{
    struct watch *w = payload;
    if (p->phase != UM_BACKUP_DUMPING || !w->blocker)
        return 0;
    scan_command_lines(w);
    if (!w->pg_dumps && ++w->scans < 50)
        return 0;
    PQclear(PQexec(w->blocker, "COMMIT"));
    PQfinish(w->blocker);
    w->blocker = NULL;
    return 0;
}

START_TEST(password_never_shown)
{
    um_ctx *ctx = migrated_project(NULL);
    um_close(ctx);
    const char *role = pgtest_fmt("um_bk_pw_%ld", (long)getpid());
    ck_assert_msg(
        pgtest_exec(pgtest_server_url(),
                    pgtest_fmt("CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'", role, SECRET)) == 0,
        "%s", pgtest_last_error());
    /* TCP with scram (the socket is trusted) */
    const char *tcp = pgtest_keep(pgtest_url_set(db_url, "host", "127.0.0.1"));
    const char *user = pgtest_keep(pgtest_url_set(tcp, "user", role));
    const char *url = pgtest_keep(pgtest_url_set(user, "password", SECRET));

    struct watch w = { PQconnectdb(db_url), 0, 0, 0, "" };
    ck_assert_int_eq(PQstatus(w.blocker), CONNECTION_OK);
    PQclear(PQexec(w.blocker, "BEGIN; LOCK TABLE a IN ACCESS EXCLUSIVE MODE"));

    logged[0] = '\0';
    ctx = pgtest_project_open_with(&proj, url, NULL, log_to_buffer, NULL);
    um_backup_options o = UM_BACKUP_OPTIONS_INIT;
    um_backup_info *b = NULL;
    o.format = UM_BACKUP_PLAIN;
    o.progress_cb = watch_pg_dump;
    o.progress_payload = &w;
    PGTEST_CHECK_OK(ctx, um_backup(&b, ctx, &o));
    ck_assert_int_ge(w.pg_dumps, 1);
    ck_assert_msg(w.leaks == 0, "a command line shows the password: %s", w.leak);
    ck_assert_msg(!strstr(logged, SECRET), "the log shows the password:\n%s", logged);
    char *manifest = pgtest_read_file(b->manifest_path, NULL);
    char *dump = pgtest_read_file(b->path, NULL);
    ck_assert_msg(!strstr(manifest, SECRET), "the manifest shows it:\n%s", manifest);
    ck_assert_msg(!strstr(dump, SECRET), "the dump holds it");
    free(manifest);
    free(dump);
    char *json = um_backup_info_to_json(b);
    ck_assert_msg(!strstr(json, SECRET), "the JSON shows it:\n%s", json);
    um_free(json);

    um_restore_info *r = NULL;
    PGTEST_CHECK_OK(ctx, um_restore(&r, ctx, b->path, NULL));
    ck_assert_msg(!strstr(logged, SECRET), "the log shows the password:\n%s", logged);
    um_restore_info_free(r);
    um_backup_info_free(b);
    um_close(ctx);

    /* the command line: neither its output nor its JSON */
    const char *file = pgtest_fmt("%s/by-hand.dump", proj_dir);
    const char *const cmds[][8] = {
        { "-d", url, "backup", NULL },
        { "-d", url, "-v", "backup", "--json", "--out", file, NULL },
        { "-d", url, "backup", "--list", "--json", NULL },
        { "restore", "--yes", "-v", "--into", url, file, NULL },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        pgtest_cli_result res = cli(cmds[i]);
        pgtest_assert_status(res, 0, "backup or restore");
        ck_assert_msg(!strstr(res.out, SECRET) && !strstr(res.err, SECRET),
                      "the output shows the password:\n%s\n%s", res.out, res.err);
    }
    pgtest_exec(pgtest_server_url(), pgtest_fmt("DROP ROLE %s", role));
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *backup_suite(void)
{
    Suite *s = suite_create("backup");
    TCase *tc;

    tc = tcase(s, "round trip");
    tcase_add_test(tc, round_trip_custom);
    tcase_add_test(tc, round_trip_plain);
    tcase_add_test(tc, manifest_fields);
    tcase_add_test(tc, backup_out_file);

    tc = tcase(s, "damaged");
    tcase_add_test(tc, corrupted_archive_refused);
    tcase_add_test(tc, missing_manifest_needs_force);
    tcase_add_test(tc, plain_damaged_late_rolled_back);
    tcase_add_test(tc, plain_mismatch_never_commits);
    tcase_add_test(tc, failed_restore_changes_nothing);
    tcase_add_test(tc, restored_but_not_recorded);
    tcase_add_test(tc, restored_but_lock_not_reclaimed);
    tcase_add_test(tc, restore_of_another_database_refused);
    tcase_add_test(tc, restore_stops_when_session_lost);
    tcase_add_test(tc, table_lock_row_not_restored);

    tc = tcase(s, "upgrade");
    tcase_add_test(tc, upgrade_backs_up_first);
    tcase_add_test(tc, upgrade_backup_always);
    tcase_add_test(tc, unwritable_backup_dir_stops_upgrade);
    tcase_add_test(tc, missing_pg_dump_stops_upgrade);
    tcase_add_test(tc, old_pg_dump_refused);
    tcase_add_test(tc, never_migrated_left_untouched);

    tc = tcase(s, "hosts");
    tcase_add_test(tc, multi_host_dumps_the_live_server);

    tc = tcase(s, "files");
    tcase_add_test(tc, retention_keeps_n);
    tcase_add_test(tc, list_flags_and_json);
    tcase_add_test(tc, file_and_directory_modes);
    tcase_add_test(tc, stale_partials_removed);

    tc = tcase(s, "control");
    tcase_add_test(tc, cancel_leaves_nothing);
    tcase_add_test(tc, killed_run_takes_its_pg_dump_along);
    tcase_add_test(tc, restore_asks_first);
    tcase_add_test(tc, restore_callbacks_calling_back_in);
    tcase_add_test(tc, cli_restore_confirmation);

    tc = tcase(s, "passwords");
    tcase_add_test(tc, password_never_shown);

    return s;
}

int main(void)
{
    return pgtest_run_pg_suite(backup_suite());
}
