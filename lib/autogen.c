/*
 * autogen.c - um_autogenerate(): the declared schema and the current one,
 * each in a scratch database (or the configured database, read only),
 * read into models, diffed both ways, and written as a revision.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pg_query.h>

#include "autogen.h"
#include "autogen_diff.h"
#include "internal.h"
#include "pg.h"
#include "project.h"
#include "schema_model.h"
#include "scratch.h"
#include "strbuf.h"
#include "textfile.h"
#include "util.h"

#define DESTRUCTIVE_PREFIX "-- destructive: "

struct um_autogen_result {
    char *up;
    char *down;
    char *path;
    char **destructive; /* the up section's warnings */
    size_t n_destructive;
};

int um_autogen_options_init(um_autogen_options *opts, unsigned int version)
{
    static const um_autogen_options init = UM_AUTOGEN_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

int um_autogen_result_differs(const um_autogen_result *res)
{
    return res && res->up && *res->up;
}

UTIL_GETTER(um_autogen_result_up, um_autogen_result, const char *, up, NULL)
UTIL_GETTER(um_autogen_result_down, um_autogen_result, const char *, down, NULL)
UTIL_GETTER(um_autogen_result_path, um_autogen_result, const char *, path, NULL)

UTIL_LIST_ACCESSORS(um_autogen_result_destructive_count, um_autogen_result_destructive_at,
                    um_autogen_result, const char *, n_destructive, destructive, )

void um_autogen_result_free(um_autogen_result *res)
{
    if (!res)
        return;
    util_free_strings(res->destructive, res->n_destructive);
    free(res->up);
    free(res->down);
    free(res->path);
    free(res);
}

/* ---- the schema file ---------------------------------------------------- */

/* The 1-based line of the 1-based character @pos of @text. */
static int line_of(const um_ctx *ctx, const char *text, int pos)
{
    size_t len = strlen(text), at = pg_char_offset(ctx, text, len, pos);
    int line = 1;
    for (size_t i = 0; i < at; i++)
        line += text[i] == '\n';
    return line;
}

/* A schema file on its way into a scratch database (load_send). */
typedef struct schema_load {
    const char *path;
    char *text; /* NULL: nothing sent */
} schema_load;

/* The line of the first non-blank byte at or after @off of @text. */
static int line_at(const char *text, size_t off)
{
    int line = 1;
    off += strspn(text + off, " \t\r\n");
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

/* Whether @f is an error of the file's SQL, not a cancel, a lost
 * connection or a server short of resources, which running it again
 * would not place. */
static bool error_of_the_sql(const pg_failure *f)
{
    static const char *const not_sql[] = { "08", "53", "57", "58" };
    if (!f->sqlstate)
        return false;
    for (size_t i = 0; i < sizeof(not_sql) / sizeof(not_sql[0]); i++)
        if (strncmp(f->sqlstate, not_sql[i], 2) == 0)
            return false;
    return true;
}

/* The line of the first statement of @split that fails, 0 when that is
 * not with @sqlstate or none fails. */
static int first_failing(um_ctx *db, const char *text, const PgQuerySplitResult *split,
                         const char *sqlstate)
{
    for (int i = 0; i < split->n_stmts; i++) {
        size_t off = (size_t)split->stmts[i]->stmt_location;
        char *stmt = strndup(text + off, (size_t)split->stmts[i]->stmt_len);
        pg_failure f = { 0 };
        int rc = stmt ? pg_exec(db, stmt, &f) : UM_ENOMEM;
        bool same = rc && f.sqlstate && strcmp(f.sqlstate, sqlstate) == 0;
        pg_failure_clear(&f);
        free(stmt);
        if (rc)
            return same ? line_at(text, off) : 0;
    }
    return 0;
}

/*
 * The line of the statement that failed, for an error the server gave no
 * position (a table that already exists, a check that cannot hold): the
 * file ran as one transaction, which rolled back, so its statements run
 * again one at a time in a transaction of their own up to the one that
 * fails, and that is rolled back too.  0 when none fails the same way.
 */
static int failing_line(um_ctx *db, const char *text, const pg_failure *fail)
{
    PgQuerySplitResult split = pg_query_split_with_parser(text);
    int line = 0;
    if (!split.error && pg_call_begin(db) == UM_OK) {
        if (pg_exec(db, "BEGIN", NULL) == UM_OK)
            line = first_failing(db, text, &split, fail->sqlstate);
        pg_exec(db, "ROLLBACK", NULL);
        pg_call_end(db);
    }
    pg_query_free_split_result(split);
    return line;
}

/* The file's error (the server's in @fail, a connection's on @db) on @ctx. */
static void load_error(um_ctx *ctx, um_ctx *db, const schema_load *l, const pg_failure *fail,
                       int rc)
{
    if (fail->message) {
        int line = fail->position           ? line_of(db, l->text, fail->position)
                   : error_of_the_sql(fail) ? failing_line(db, l->text, fail)
                                            : 0;
        pg_failure_to_error(ctx, fail, l->path, line, NULL, "the schema file failed");
    } else {
        ctx_error(ctx, rc, l->path, 0, NULL, "%s", um_errmsg(db));
    }
}

/*
 * Sends @path's text to @db without waiting for the server to run it;
 * load_finish takes the answer.  A file that cannot be read or sent is
 * reported on @ctx, and nothing is left to finish.
 */
static int load_send(um_ctx *ctx, um_ctx *db, const char *path, schema_load *l)
{
    size_t len;
    l->path = path;
    l->text = NULL;
    /* as a revision file: a regular text file under the same cap */
    int rc = textfile_read(&l->text, &len, path, &textfile_revision, false, &ctx->err);
    if (rc)
        return rc;
    pg_failure fail = { 0 };
    rc = pg_call_begin(db);
    if (!rc && (rc = pg_exec_send(db, l->text, &fail)) != UM_OK)
        pg_call_end(db);
    if (rc) {
        load_error(ctx, db, l, &fail, rc);
        free(l->text);
        l->text = NULL;
    }
    pg_failure_clear(&fail);
    return rc;
}

/* The answer to load_send's file; its error on @ctx when @report, else
 * only drained (another error of the run comes first). */
static int load_finish(um_ctx *ctx, um_ctx *db, schema_load *l, bool report)
{
    if (!l->text)
        return UM_OK;
    pg_failure fail = { 0 };
    int rc = pg_call_finish(db, pg_exec_finish(db, &fail));
    if (rc && report)
        load_error(ctx, db, l, &fail, rc);
    pg_failure_clear(&fail);
    free(l->text);
    l->text = NULL;
    return rc;
}

static int load_file(um_ctx *ctx, um_ctx *db, const char *path)
{
    schema_load l;
    int rc = load_send(ctx, db, path, &l);
    return rc ? rc : load_finish(ctx, db, &l, true);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .sql files of @dir in name order (dot files skipped). */
static int list_sql_files(um_ctx *ctx, const char *dir, char ***out, size_t *n)
{
    DIR *d = opendir(dir);
    *out = NULL;
    *n = 0;
    if (!d)
        return ctx_error(ctx, UM_EIO, dir, 0, NULL, "cannot read the schema directory: %s",
                         strerror(errno));
    size_t cap = 0;
    int rc = UM_OK;
    for (struct dirent *e = readdir(d); e && !rc; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        char **grown = util_grow(*out, *n, &cap, sizeof(**out));
        strbuf path = STRBUF_INIT;
        sb_printf(&path, "%s/%s", dir, e->d_name);
        char *p = sb_detach(&path);
        if (!grown || !p) {
            free(p);
            rc = err_nomem(&ctx->err);
            break;
        }
        *out = grown;
        (*out)[(*n)++] = p;
    }
    closedir(d);
    if (!rc)
        qsort(*out, *n, sizeof(**out), cmp_names);
    return rc;
}

/* The schema file, or the .sql files of the schema directory in name
 * order: *@out (free each and the array), *@n. */
static int schema_files(um_ctx *ctx, const char *path, char ***out, size_t *n)
{
    struct stat st;
    *out = NULL;
    *n = 0;
    if (stat(path, &st) != 0)
        return ctx_error(ctx, UM_EIO, path, 0, NULL, "cannot read the schema file: %s",
                         strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        int rc = list_sql_files(ctx, path, out, n);
        if (!rc && *n == 0)
            rc = ctx_error(ctx, UM_EIO, path, 0, NULL, "the schema directory holds no .sql file");
        return rc;
    }
    if (!(*out = calloc(1, sizeof(**out))) || !((*out)[0] = strdup(path))) {
        free(*out);
        *out = NULL;
        return err_nomem(&ctx->err);
    }
    *n = 1;
    return UM_OK;
}

/* ---- the current schema ------------------------------------------------- */

/* The replay stops between revisions once the host cancelled. */
static int replay_progress(const um_step_info *step, void *payload)
{
    (void)step;
    return pg_cancel_requested(payload) ? 1 : 0;
}

static int replay_migrations(um_ctx *ctx, um_ctx *db)
{
    if (graph_count(ctx->graph) == 0)
        return UM_OK;
    um_apply_options o = UM_APPLY_OPTIONS_INIT;
    o.progress_cb = replay_progress;
    o.progress_payload = ctx;
    o.backup = UM_BACKUP_SKIP;
    int rc = um_upgrade(db, "heads", &o);
    if (rc) {
        const um_error_info *d = um_error_detail(db);
        ctx_error(ctx, rc, NULL, 0, NULL, "replaying the revisions in a scratch database: %s",
                  um_errmsg(db));
        err_set_server(&ctx->err, d->sqlstate, d->detail, d->hint);
    }
    return rc;
}

/* A model of @db's schema, read in a call of its own; errors on @ctx. */
static int read_model(um_ctx *ctx, um_ctx *db, sm_model **out)
{
    int rc = db == ctx ? UM_OK : pg_call_begin(db);
    if (!rc)
        rc = sm_model_read(db, out);
    if (db != ctx) {
        pg_call_end(db);
        if (rc)
            ctx_error(ctx, rc, NULL, 0, NULL, "reading a scratch database: %s", um_errmsg(db));
    }
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

typedef struct autogen_run {
    um_ctx *ctx;
    const char *purpose; /* for messages: "autogenerate" */
    const um_autogen_options *opts;
    scratch_server *server;
    scratch_db desired_db;
    scratch_db current_db;
    sm_model *desired;
    sm_model *current;
} autogen_run;

static int check_cancel(const autogen_run *r, int rc)
{
    if (pg_cancel_requested(r->ctx))
        return ctx_error(r->ctx, UM_ECANCELLED, NULL, 0, NULL,
                         "%s cancelled by the host; the scratch databases are dropped", r->purpose);
    return rc;
}

/* No revision: the current side is a fresh database, which the desired
 * one is until the schema file goes in; no second scratch database. */
static bool current_is_fresh(const autogen_run *r)
{
    return !r->opts->from_db && graph_count(r->ctx->graph) == 0;
}

static int read_current(autogen_run *r)
{
    if (r->opts->from_db)
        return check_cancel(r, read_model(r->ctx, r->ctx, &r->current));
    if (current_is_fresh(r))
        return UM_OK; /* read before the load (read_both) */
    int rc = check_cancel(r, replay_migrations(r->ctx, r->current_db.ctx));
    if (!rc)
        rc = check_cancel(r, read_model(r->ctx, r->current_db.ctx, &r->current));
    return rc;
}

/*
 * Both models.  The server loads the (first) schema file into one scratch
 * database while the revisions replay into the other, or while the
 * configured database is read: two backends, two cores, where one after
 * the other loaded 200 tables twice in a row.  An error of the current
 * side comes first; the load is then only drained.  Without revisions the
 * current side is read from the desired database before the load
 * (current_is_fresh): a scratch database fewer to create and drop.
 */
/*
 * The current side while the schema file loads: the revisions replayed in
 * a second scratch database, made only now and dropped as soon as it has
 * been read, both while the server is still loading the other; or the
 * configured database read.
 */
static int read_current_aside(autogen_run *r)
{
    int rc = UM_OK;
    if (!r->opts->from_db && !current_is_fresh(r)) {
        rc = scratch_db_create(r->server, r->ctx, &r->current_db);
        /* both run at once, so a cancel must reach both: the run's handle
         * forwards it to the database made last, that one to the other */
        if (!rc)
            pg_cancel_forward(r->current_db.ctx, r->desired_db.ctx);
    }
    if (!rc)
        rc = read_current(r);
    if (r->current_db.name) {
        scratch_db_drop(r->server, r->ctx, &r->current_db);
        pg_cancel_forward(r->ctx, r->desired_db.ctx);
    }
    return rc;
}

static int read_both(autogen_run *r, const char *schema_file)
{
    char **files = NULL;
    size_t n = 0;
    schema_load first = { NULL, NULL };
    int rc = scratch_db_create(r->server, r->ctx, &r->desired_db);
    if (!rc && current_is_fresh(r))
        rc = check_cancel(r, read_model(r->ctx, r->desired_db.ctx, &r->current));
    if (!rc)
        rc = schema_files(r->ctx, schema_file, &files, &n);
    if (!rc)
        rc = load_send(r->ctx, r->desired_db.ctx, files[0], &first);
    if (!rc) {
        int current = read_current_aside(r);
        rc = load_finish(r->ctx, r->desired_db.ctx, &first, current == UM_OK);
        rc = current ? current : check_cancel(r, rc);
    }
    for (size_t i = 1; !rc && i < n; i++)
        rc = check_cancel(r, load_file(r->ctx, r->desired_db.ctx, files[i]));
    if (!rc)
        rc = check_cancel(r, read_model(r->ctx, r->desired_db.ctx, &r->desired));
    util_free_strings(files, n);
    return rc;
}

/* The "-- destructive:" lines of @sql, logged and kept. */
static int collect_destructive(um_ctx *ctx, um_autogen_result *res)
{
    size_t cap = 0;
    for (const char *p = strstr(res->up, DESTRUCTIVE_PREFIX); p;
         p = strstr(p + 1, DESTRUCTIVE_PREFIX)) {
        const char *text = p + strlen(DESTRUCTIVE_PREFIX);
        char **grown = util_grow(res->destructive, res->n_destructive, &cap, sizeof(char *));
        char *line = strndup(text, strcspn(text, "\n"));
        if (!grown || !line) {
            free(line);
            return err_nomem(&ctx->err);
        }
        res->destructive = grown;
        res->destructive[res->n_destructive++] = line;
        log_printf(&ctx->log, UM_LOG_WARNING, "destructive: %s", line);
    }
    return UM_OK;
}

autogen_diff_options autogen_options_of(const um_ctx *ctx)
{
    autogen_diff_options o = { .compare_type = ctx->cfg.compare_type,
                               .compare_server_default = ctx->cfg.compare_server_default,
                               .compare_privileges = ctx->cfg.compare_privileges };
    return o;
}

static int diff_both_ways(autogen_run *r, um_autogen_result *res)
{
    autogen_diff_options o = autogen_options_of(r->ctx);
    strbuf up = STRBUF_INIT, down = STRBUF_INIT;
    size_t n_up = 0, n_down = 0;
    autogen_diff(r->current, r->desired, &o, &up, &n_up);
    autogen_diff(r->desired, r->current, &o, &down, &n_down);
    res->up = sb_detach(&up);
    res->down = sb_detach(&down);
    sb_free(&up);
    sb_free(&down);
    if (!res->up || !res->down)
        return err_nomem(&r->ctx->err);
    return collect_destructive(r->ctx, res);
}

static int write_file(autogen_run *r, um_autogen_result *res)
{
    if (!um_autogen_result_differs(res)) {
        log_printf(&r->ctx->log, UM_LOG_DEBUG,
                   "no difference between the schema file and the %s; nothing written",
                   r->opts->from_db ? "database" : "revisions");
        return UM_OK;
    }
    if (r->opts->dry_run)
        return UM_OK;
    um_generate_options g = UM_GENERATE_OPTIONS_INIT;
    g.message = r->opts->message;
    g.rev_id = r->opts->rev_id;
    g.head = r->opts->head;
    g.splice = r->opts->splice;
    return project_generate(&res->path, r->ctx, &g, res->up, res->down);
}

/*
 * Objects of kinds the model cannot hold (sm_unsupported_at): one on one
 * side only would be left out of the migration or the report, so the run
 * stops and names it; the same on both sides is no obstacle, but a change
 * inside it is not seen, which a warning says.
 */
static int check_unsupported(autogen_run *r)
{
    const char *current_side = r->opts->from_db ? "the database" : "the revisions";
    size_t nc = sm_unsupported_count(r->current), nd = sm_unsupported_count(r->desired);
    size_t i = 0, j = 0;
    while (i < nc || j < nd) {
        const char *c = sm_unsupported_at(r->current, i), *d = sm_unsupported_at(r->desired, j);
        int order = !c ? 1 : !d ? -1 : strcmp(c, d);
        if (order)
            return ctx_error(r->ctx, UM_ESTATE, NULL, 0, NULL,
                             "%s is in %s only, and %s does not compare objects of its kind:"
                             " write that part of the migration by hand",
                             order < 0 ? c : d, order < 0 ? current_side : "the schema file",
                             r->purpose);
        log_printf(&r->ctx->log, UM_LOG_WARNING,
                   "%s is in %s and the schema file; %s compares objects of its kind by name"
                   " only",
                   c, current_side, r->purpose);
        i++;
        j++;
    }
    return UM_OK;
}

static int read_models(autogen_run *r)
{
    const char *schema_file = r->opts->schema_file ? r->opts->schema_file : r->ctx->cfg.schema_file;
    if (!schema_file || !*schema_file)
        return ctx_error(r->ctx, UM_ECONFIG, r->ctx->cfg.path, 0, NULL,
                         "%s needs the declared schema: set schema_file", r->purpose);
    int rc = scratch_server_open(r->ctx, &r->server);
    if (!rc)
        rc = read_both(r, schema_file);
    return rc ? rc : check_unsupported(r);
}

/* Drops the scratch databases, keeping the run's error. */
static void drop_scratch(autogen_run *r)
{
    if (r->current_db.ctx) /* before either handle goes (read_both) */
        pg_cancel_forward(r->current_db.ctx, NULL);
    if (r->server) {
        scratch_db_drop(r->server, r->ctx, &r->desired_db);
        scratch_db_drop(r->server, r->ctx, &r->current_db);
    }
    scratch_server_close(r->server);
    r->server = NULL;
}

static void clean_up(autogen_run *r)
{
    drop_scratch(r);
    sm_model_free(r->desired);
    sm_model_free(r->current);
}

int autogen_read_models(um_ctx *ctx, const char *purpose, sm_model **current, sm_model **desired)
{
    um_autogen_options o = UM_AUTOGEN_OPTIONS_INIT;
    o.from_db = 1;
    autogen_run r = { ctx, purpose, &o, NULL, { NULL, NULL }, { NULL, NULL }, NULL, NULL };
    int rc = read_models(&r);
    drop_scratch(&r);
    if (rc) {
        clean_up(&r);
        r.current = r.desired = NULL;
    }
    *current = r.current;
    *desired = r.desired;
    return rc;
}

int um_autogenerate(um_autogen_result **out, um_ctx *ctx, const um_autogen_options *opts)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !opts || !opts->message)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_autogenerate: out and a message for the new revision are required");
    int rc = err_check_version(&ctx->err, "um_autogen_options", opts->version,
                               UM_AUTOGEN_OPTIONS_VERSION);
    if (rc)
        return rc;
    um_autogen_result *res = calloc(1, sizeof(*res));
    if (!res)
        return err_nomem(&ctx->err);
    rc = pg_call_begin(ctx);
    if (rc) {
        free(res);
        return rc;
    }
    autogen_run r = { ctx, "autogenerate", opts, NULL, { NULL, NULL }, { NULL, NULL }, NULL, NULL };
    rc = read_models(&r);
    if (!rc)
        rc = diff_both_ways(&r, res);
    clean_up(&r);
    pg_call_end(ctx);
    if (!rc)
        rc = write_file(&r, res);
    if (rc)
        um_autogen_result_free(res);
    else
        *out = res;
    return rc;
}
