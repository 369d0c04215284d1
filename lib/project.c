/*
 * project.c - new files: a project's skeleton (init) and new revision
 * files (generate, merge).  Nothing existing is ever overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "branch.h"
#include "config.h"
#include "internal.h"
#include "project.h"
#include "script.h"
#include "strbuf.h"
#include "textfile.h"
#include "template.h"
#include "tz.h"
#include "util.h"

#define TEMPLATE_NAME           "script.sql.tmpl"
#define DEFAULT_SCRIPT_LOCATION "migrations"

/* Writes all of @text to @fd: 0, or the errno of the write that failed. */
static int write_all(int fd, const char *text)
{
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        done += (size_t)n;
    }
    return 0;
}

/* Writes @text to a new file @path; UM_EIO if it exists or cannot be made. */
static int write_new_file(const char *path, const char *text, err_buf *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, UM_EIO, path, 0, NULL, "cannot create: %s", strerror(errno));
    int e = write_all(fd, text);
    if (e) {
        close(fd);
        unlink(path); /* no half-written revision */
    } else if (close(fd) != 0) {
        e = errno;
    }
    return e ? err_set(err, UM_EIO, path, 0, NULL, "cannot write: %s", strerror(e)) : UM_OK;
}

/* Reads a whole small text file (textfile.h's checks); *out NULL and
 * UM_OK when it does not exist. */
static int read_optional_file(const char *path, char **out, err_buf *err)
{
    size_t len;
    return textfile_read(out, &len, path, &textfile_template, true, err);
}

/* ---- generate --------------------------------------------------------- */

typedef struct new_revision {
    char rev_id[SCRIPT_ID_MAX + 1];
    const char *message;
    strbuf parents; /* "a, b" */
    strbuf depends_on;
    strbuf branch_labels;
} new_revision;

/* Appends the dependency @ref names to @list: the revision's id, or a
 * branch label as it is, as Alembic writes it. */
static int resolve_into(um_ctx *ctx, strbuf *list, const char *ref)
{
    size_t idx;
    int rc = graph_lookup(ctx->graph, ref, &idx, &ctx->err);
    if (rc)
        return rc;
    if (list->len)
        sb_puts(list, ", ");
    bool label = branch_table_find(graph_labels(ctx->graph), ref) >= 0;
    sb_puts(list, label ? ref : graph_script(ctx->graph, idx)->id);
    return UM_OK;
}

/* A new label is an identifier that names nothing yet. */
static int check_label(um_ctx *ctx, const new_revision *nr, const char *label)
{
    long by = label ? branch_table_find(graph_labels(ctx->graph), label) : -1;
    if (!label || !script_valid_id(label))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "'%s' is not a valid branch label ([A-Za-z0-9_-], at most %d)",
                         label ? label : "(null)", SCRIPT_ID_MAX);
    if (script_reserved_name(label))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "branch label '%s' is reserved: " SCRIPT_RESERVED_WHY, label);
    if (by >= 0)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "branch label '%s' is already used by revision %s", label,
                         graph_script(ctx->graph, (size_t)by)->id);
    if (graph_find(ctx->graph, label) >= 0 || strcmp(label, nr->rev_id) == 0)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "branch label '%s' is the id of a revision",
                         label);
    return UM_OK;
}

static int fill_labels(um_ctx *ctx, const um_generate_options *o, new_revision *nr)
{
    for (size_t i = 0; i < o->n_branch_labels; i++) {
        int rc = check_label(ctx, nr, o->branch_labels[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (strcmp(o->branch_labels[j], o->branch_labels[i]) == 0)
                rc = ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "branch label '%s' given twice",
                               o->branch_labels[i]);
        if (rc)
            return rc;
        sb_printf(&nr->branch_labels, "%s%s", i ? ", " : "", o->branch_labels[i]);
    }
    return sb_failed(&nr->branch_labels) ? err_nomem(&ctx->err) : UM_OK;
}

static int heads_as_parents(um_ctx *ctx, new_revision *nr)
{
    size_t n = 0;
    const size_t *heads = graph_heads(ctx->graph, &n);
    if (n > 1) {
        strbuf names = STRBUF_INIT;
        for (size_t i = 0; i < n; i++)
            sb_printf(&names, "%s%s", i ? ", " : "", graph_script(ctx->graph, heads[i])->id);
        int rc = ctx_error(ctx, UM_ETARGET, NULL, 0, NULL,
                           "several heads (%s): name the one to build on with --head,"
                           " or join them first with 'ultramigrate merge'",
                           sb_str(&names) ? sb_str(&names) : "");
        sb_free(&names);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        sb_puts(&nr->parents, graph_script(ctx->graph, heads[i])->id);
    return UM_OK;
}

static int head_as_parent(um_ctx *ctx, new_revision *nr, const char *head, bool splice)
{
    graph_target t = GRAPH_TARGET_INIT;
    if (strcmp(head, "base") == 0)
        return UM_OK; /* a new, independent base (Alembic's --head base) */
    int rc = graph_resolve_target(ctx->graph, head, UM_UP, NULL, 0, &t, &ctx->err);
    if (rc)
        return rc;
    if (t.n != 1) {
        rc = ctx_error(ctx, UM_ETARGET, NULL, 0, NULL, "--head '%s' must name one revision", head);
    } else if (!ctx->revisions[t.revs[0]].is_head && !splice) {
        rc = ctx_error(ctx, UM_ETARGET, NULL, 0, ctx->revisions[t.revs[0]].id,
                       "not a head; pass --splice to start a new branch from it");
    } else {
        sb_puts(&nr->parents, ctx->revisions[t.revs[0]].id);
    }
    graph_target_free(&t);
    return rc;
}

static int choose_rev_id(um_ctx *ctx, const char *wanted, new_revision *nr)
{
    if (wanted) {
        if (!script_valid_id(wanted))
            return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                             "'%s' is not a valid revision id ([A-Za-z0-9_-], at most %d)", wanted,
                             SCRIPT_ID_MAX);
        if (script_reserved_name(wanted))
            return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                             "revision id '%s' is reserved: " SCRIPT_RESERVED_WHY, wanted);
        if (graph_find(ctx->graph, wanted) >= 0)
            return ctx_error(ctx, UM_EINVAL, NULL, 0, wanted, "a revision with this id exists");
        strcpy(nr->rev_id, wanted);
        return UM_OK;
    }
    do {
        int rc = template_new_rev_id(nr->rev_id, &ctx->err);
        if (rc)
            return rc;
    } while (graph_find(ctx->graph, nr->rev_id) >= 0);
    return UM_OK;
}

/* Parents named (a merge): heads, each once, as Alembic's merge wants
 * them; a revision twice ('b2000' and its prefix 'b200') or one that is
 * not a head would give a file the graph refuses, or a merge of nothing. */
static int explicit_parents(um_ctx *ctx, const um_generate_options *o, new_revision *nr)
{
    size_t *idx = util_calloc(o->n_parents, sizeof(*idx));
    if (!idx)
        return err_nomem(&ctx->err);
    int rc = UM_OK;
    for (size_t i = 0; !rc && i < o->n_parents; i++) {
        rc = graph_lookup(ctx->graph, o->parents[i], &idx[i], &ctx->err);
        const char *id = rc ? NULL : graph_script(ctx->graph, idx[i])->id;
        for (size_t j = 0; !rc && j < i; j++)
            if (idx[j] == idx[i])
                rc = ctx_error(ctx, UM_ETARGET, NULL, 0, id, "named twice ('%s' and '%s')",
                               o->parents[j], o->parents[i]);
        if (!rc && !ctx->revisions[idx[i]].is_head)
            rc = ctx_error(ctx, UM_ETARGET, NULL, 0, id,
                           "not a head: a merge joins heads (see 'ultramigrate heads')");
        if (!rc)
            sb_printf(&nr->parents, "%s%s", i ? ", " : "", id);
    }
    free(idx);
    return rc;
}

static int fill_relations(um_ctx *ctx, const um_generate_options *o, new_revision *nr)
{
    int rc = UM_OK;
    if (o->n_parents) {
        rc = explicit_parents(ctx, o, nr);
    } else if (o->head) {
        rc = head_as_parent(ctx, nr, o->head, o->splice);
    } else {
        rc = heads_as_parents(ctx, nr);
    }
    for (size_t i = 0; !rc && i < o->n_depends_on; i++)
        rc = resolve_into(ctx, &nr->depends_on, o->depends_on[i]);
    if (!rc && (sb_failed(&nr->parents) || sb_failed(&nr->depends_on)))
        rc = err_nomem(&ctx->err);
    return rc;
}

/* "2025-05-01 14:00:00+02" (or "+05:30"): @now in the configured
 * timezone (UTC when none). */
static int create_date(um_ctx *ctx, time_t now, char *out, size_t size)
{
    long offset = 0;
    const char *zone = ctx->cfg.timezone ? ctx->cfg.timezone : "";
    int rc = tz_offset(zone, now, &offset, &ctx->err);
    if (rc)
        return rc;
    time_t local = now + offset;
    struct tm tm;
    gmtime_r(&local, &tm);
    size_t n = strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
    long east = offset < 0 ? -offset : offset;
    if (east % 3600 / 60)
        snprintf(out + n, size - n, "%c%02ld:%02ld", offset < 0 ? '-' : '+', east / 3600,
                 east % 3600 / 60);
    else
        snprintf(out + n, size - n, "%c%02ld", offset < 0 ? '-' : '+', east / 3600);
    return UM_OK;
}

/* Renders the template into the new file's text. */
static int render_revision(um_ctx *ctx, const new_revision *nr, time_t now, char **out)
{
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/" TEMPLATE_NAME, ctx->cfg.script_location);
    char *tmpl = NULL;
    int rc =
        sb_str(&path) ? read_optional_file(sb_str(&path), &tmpl, &ctx->err) : err_nomem(&ctx->err);
    if (!rc && !tmpl)
        log_printf(&ctx->log, UM_LOG_INFO, "%s not found; using the built-in template",
                   sb_str(&path));

    char date[64];
    if (!rc)
        rc = create_date(ctx, now, date, sizeof(date));
    template_vars vars = { nr->message,
                           nr->rev_id,
                           sb_str(&nr->parents),
                           sb_str(&nr->depends_on),
                           date,
                           sb_str(&nr->branch_labels) };
    if (!rc)
        rc = template_render(tmpl ? tmpl : template_default_script, sb_str(&path), &vars, out,
                             &ctx->err);
    free(tmpl);
    sb_free(&path);
    return rc;
}

/* Puts @sql on the line after the first line holding @marker ("migrate:up");
 * without one, the marker line and @sql at the end. */
static void insert_section(strbuf *text, const char *marker, const char *sql)
{
    const char *at = strstr(text->buf ? text->buf : "", marker);
    if (!sql || !*sql)
        return;
    strbuf out = STRBUF_INIT;
    if (at) {
        size_t line_end = (size_t)(at - text->buf) + strcspn(at, "\n");
        line_end += text->buf[line_end] == '\n';
        sb_append(&out, text->buf, line_end);
        sb_puts(&out, sql);
        sb_puts(&out, text->buf + line_end);
    } else {
        sb_puts(&out, text->buf ? text->buf : "");
        sb_printf(&out, "%s-- %s\n%s", text->len && text->buf[text->len - 1] != '\n' ? "\n" : "",
                  marker, sql);
    }
    if (sb_failed(&out))
        text->failed = true;
    else {
        sb_free(text);
        *text = out;
    }
}

/* The rendered template with the sections' SQL in place. */
static int fill_sections(um_ctx *ctx, char **text, const char *up, const char *down)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, *text);
    insert_section(&sb, "migrate:up", up);
    insert_section(&sb, "migrate:down", down);
    char *filled = sb_detach(&sb);
    if (!filled)
        return err_nomem(&ctx->err);
    free(*text);
    *text = filled;
    return UM_OK;
}

static int write_revision(um_ctx *ctx, const new_revision *nr, const char *up, const char *down,
                          char **out_path)
{
    time_t now = time(NULL);
    char *name = NULL, *text = NULL;
    strbuf path = STRBUF_INIT;
    int rc = template_file_name(ctx->cfg.file_template, nr->rev_id, nr->message,
                                ctx->cfg.truncate_slug_length, now, &name, &ctx->err);
    if (!rc)
        rc = render_revision(ctx, nr, now, &text);
    if (!rc && (up || down))
        rc = fill_sections(ctx, &text, up, down);
    if (!rc) {
        sb_printf(&path, "%s/%s", ctx->versions_dir, name);
        rc = sb_str(&path) ? write_new_file(sb_str(&path), text, &ctx->err) : err_nomem(&ctx->err);
    }
    if (!rc) {
        log_printf(&ctx->log, UM_LOG_DEBUG, "generated %s", sb_str(&path));
        if (out_path)
            *out_path = sb_detach(&path);
    }
    sb_free(&path);
    free(name);
    free(text);
    return rc;
}

int um_generate_options_init(um_generate_options *opts, unsigned int version)
{
    static const um_generate_options init = UM_GENERATE_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

int um_generate(char **out, um_ctx *ctx, const um_generate_options *opts)
{
    return project_generate(out, ctx, opts, NULL, NULL);
}

int project_generate(char **out, um_ctx *ctx, const um_generate_options *opts, const char *up,
                     const char *down)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!opts || !opts->message)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "a new revision needs a message");
    int rc = err_check_version(&ctx->err, "um_generate_options", opts->version,
                               UM_GENERATE_OPTIONS_VERSION);
    if (rc)
        return rc;

    new_revision nr = { .message = opts->message,
                        .parents = STRBUF_INIT,
                        .depends_on = STRBUF_INIT,
                        .branch_labels = STRBUF_INIT };
    rc = choose_rev_id(ctx, opts->rev_id, &nr);
    if (!rc)
        rc = fill_relations(ctx, opts, &nr);
    if (!rc)
        rc = fill_labels(ctx, opts, &nr);
    if (!rc)
        rc = write_revision(ctx, &nr, up, down, out);
    sb_free(&nr.parents);
    sb_free(&nr.depends_on);
    sb_free(&nr.branch_labels);
    return rc;
}

int um_merge_options_init(um_merge_options *opts, unsigned int version)
{
    static const um_merge_options init = UM_MERGE_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

/* Every head of the graph, as the parents of a merge (there must be two). */
static int heads_to_merge(um_ctx *ctx, const char ***out, size_t *n)
{
    const size_t *h = graph_heads(ctx->graph, n);
    if (*n < 2)
        return ctx_error(ctx, UM_ETARGET, NULL, 0, NULL, "nothing to merge: there %s %zu head%s",
                         *n == 1 ? "is" : "are", *n, *n == 1 ? "" : "s");
    *out = calloc(*n, sizeof(**out));
    if (!*out)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = graph_script(ctx->graph, h[i])->id;
    return UM_OK;
}

/* "merge a1b2c3d4e5f6, 0f9e8d7c6b5a": what a merge without a message
 * joins, by the ids its parents resolve to.  NULL: out of memory. */
static char *default_merge_message(um_ctx *ctx, const char *const *parents, size_t n)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "merge ");
    for (size_t i = 0; i < n; i++) {
        const um_revision *rev = NULL;
        if (um_revision_lookup(&rev, ctx, parents[i]) != UM_OK)
            rev = NULL; /* um_generate says why */
        sb_printf(&sb, "%s%s", i ? ", " : "", rev ? rev->id : parents[i]);
    }
    return sb_detach(&sb);
}

int um_merge(char **out, um_ctx *ctx, const um_merge_options *opts)
{
    static const um_merge_options defaults = UM_MERGE_OPTIONS_INIT;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!opts)
        opts = &defaults;
    int rc =
        err_check_version(&ctx->err, "um_merge_options", opts->version, UM_MERGE_OPTIONS_VERSION);
    if (rc)
        return rc;

    um_generate_options g = UM_GENERATE_OPTIONS_INIT;
    char *message = NULL;
    g.message = opts->message;
    g.rev_id = opts->rev_id;
    g.parents = opts->revs;
    g.n_parents = opts->n_revs;
    const char **heads = NULL;
    if (!opts->revs || !opts->n_revs) {
        rc = heads_to_merge(ctx, &heads, &g.n_parents);
        g.parents = heads;
    } else if (opts->n_revs < 2) {
        rc = ctx_error(ctx, UM_ETARGET, NULL, 0, NULL, "a merge needs at least two revisions");
    }
    if (!rc && !g.message &&
        !(g.message = message = default_merge_message(ctx, g.parents, g.n_parents)))
        rc = err_nomem(&ctx->err);
    if (!rc)
        rc = um_generate(out, ctx, &g);
    free(message);
    free(heads);
    return rc;
}

/* ---- init ------------------------------------------------------------- */

static const char default_config[] =
    "# ultramigrate configuration (see docs/configuration.md).\n"
    "[ultramigrate]\n"
    "# Where the revision files live: <script_location>/versions/*.sql\n"
    "script_location = %s\n"
    "\n"
    "# The database; DATABASE_URL or ULTRAMIGRATE_DATABASE_URL override it,\n"
    "# and -d overrides both.  Without any, libpq's PG* variables apply.\n"
    "# database_url = postgresql://user@localhost:5432/dbname\n"
    "\n"
    "# Names of new revision files (Alembic's tokens; %%%% for a literal %%).\n"
    "file_template = "
    "%%%%(year)d%%%%(month).2d%%%%(day).2d_%%%%(hour).2d%%%%(minute).2d_%%%%(rev)s_%%%%(slug)s\n"
    "\n"
    "# One transaction per revision (true), or one for the whole run (false).\n"
    "transaction_per_migration = true\n"
    "\n"
    "version_table = ultramigrate_version\n"
    "version_table_schema = public\n"
    "\n"
    "# How long to wait for another run's migration lock.\n"
    "lock_wait = 60s\n"
    "\n"
    "# Backups (pg_dump), each with a manifest and checked after it is written.\n"
    "backup_dir = %%(here)s/backups\n"
    "# A backup before every upgrade that has revisions to apply: a migration\n"
    "# that goes wrong in production is undone with `ultramigrate restore`,\n"
    "# not by hand.  A failed backup stops the upgrade before it starts;\n"
    "# `upgrade --no-backup` skips it once.\n"
    "backup_before_upgrade = true\n"
    "# How many backups backup_dir keeps (0: all).\n"
    "backup_keep = 10\n";

typedef struct init_run {
    um_log_cb log_cb;
    void *payload;
    err_buf err;
} init_run;

static void init_say(const init_run *r, const char *what, const char *path)
{
    if (!r->log_cb)
        return;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s %s", what, path);
    if (sb_str(&sb))
        r->log_cb(UM_LOG_INFO, sb_str(&sb), r->payload);
    sb_free(&sb);
}

/* Creates the missing parents of @path, as mkdir -p. */
static int make_parents(init_run *r, const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return err_nomem(&r->err);
    int rc = UM_OK;
    for (char *slash = strchr(copy + 1, '/'); slash && !rc; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = err_set(&r->err, UM_EIO, copy, 0, NULL, "cannot create directory: %s",
                         strerror(errno));
        *slash = '/';
    }
    free(copy);
    return rc;
}

static int make_dir(init_run *r, const char *path)
{
    int rc = make_parents(r, path);
    if (rc)
        return rc;
    if (mkdir(path, 0755) == 0) {
        init_say(r, "created", path);
        return UM_OK;
    }
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        init_say(r, "kept existing", path);
        return UM_OK;
    }
    return err_set(&r->err, UM_EIO, path, 0, NULL, "cannot create directory: %s", strerror(errno));
}

static int make_file(init_run *r, const char *path, const char *text)
{
    if (access(path, F_OK) == 0) {
        init_say(r, "kept existing", path);
        return UM_OK;
    }
    int rc = write_new_file(path, text, &r->err);
    if (!rc)
        init_say(r, "created", path);
    return rc;
}

/* The script_location line for a new config: relative locations are
 * anchored to the file with %(here)s when the file is in the current
 * directory, so the project can be run from anywhere. */
static void config_text(strbuf *sb, const char *config_path, const char *loc)
{
    strbuf value = STRBUF_INIT;
    if (loc[0] == '/' || strchr(config_path, '/'))
        sb_puts(&value, loc);
    else
        sb_printf(&value, "%%(here)s/%s", loc);
    if (sb_str(&value))
        sb_printf(sb, default_config, sb_str(&value));
    sb_free(&value);
}

/*
 * Without a location, an existing configuration says where the project
 * lives (init completing a project); else the default.  *owned is what
 * to free.
 */
static int choose_location(init_run *r, const char *config_path, const char **loc, char **owned)
{
    *owned = NULL;
    if (*loc)
        return *loc[0] ? UM_OK
                       : err_set(&r->err, UM_EINVAL, NULL, 0, NULL, "the script location is empty");
    *loc = DEFAULT_SCRIPT_LOCATION;
    if (!config_path || access(config_path, F_OK) != 0)
        return UM_OK;
    config_settings cfg;
    int rc = config_load(&cfg, config_path, NULL, NULL, &r->err);
    if (rc)
        return rc;
    *owned = cfg.script_location;
    cfg.script_location = NULL;
    config_free(&cfg);
    *loc = *owned;
    return UM_OK;
}

/*
 * versions/README.md of a new project: whoever opens the directory learns
 * what the files are and the rules that keep a database and its history
 * in step.  Only *.sql files are revisions; this one is never read.
 */
static const char versions_readme[] =
    "# Revisions\n"
    "\n"
    "Each `.sql` file here is one revision of the database schema, applied by\n"
    "ultramigrate in the order of the graph its headers form (other files,\n"
    "like this one, are ignored):\n"
    "\n"
    "```sql\n"
    "-- Add user preferences\n"
    "--\n"
    "-- Revision ID: 3f1c9a2b7d10\n"
    "-- Revises: 9e2d41c0aa37          (parents; a merge names several)\n"
    "-- Depends On:                    (revisions of other branches it needs)\n"
    "-- Branch Labels:\n"
    "-- Create Date: 2026-11-30 12:00:00+00\n"
    "-- Transactional: yes             (no: run statement by statement)\n"
    "\n"
    "-- migrate:up\n"
    "ALTER TABLE users ADD COLUMN preferences jsonb NOT NULL DEFAULT '{}';\n"
    "\n"
    "-- migrate:down\n"
    "ALTER TABLE users DROP COLUMN preferences;\n"
    "```\n"
    "\n"
    "- Create revisions with `ultramigrate generate \"message\"` (or `auto` from\n"
    "  the declared schema), never by copying a file: the id and parents must be\n"
    "  right.\n"
    "- Never edit a revision once a shared database has applied it: its checksum\n"
    "  is recorded, and `upgrade` refuses an edited one. Write a new revision.\n"
    "- Keep each revision small and give it a down section that undoes exactly\n"
    "  its up section.\n"
    "- `CREATE INDEX CONCURRENTLY` and other statements that cannot run in a\n"
    "  transaction go in a revision of their own with `Transactional: no`.\n"
    "- Two heads (two people added a revision on the same parent): join them\n"
    "  with `ultramigrate merge`.\n"
    "\n"
    "`ultramigrate status` shows what a database lacks, `ultramigrate upgrade`\n"
    "applies it; a revision that failed half-way is recorded with\n"
    "`ultramigrate repair`. `man ultramigrate` and ultramigrate's docs/\n"
    "(revision-files.md, cli.md, migration_guidelines.md,\n"
    "migration_troubleshooting.md) say more.\n";

/* The header cache (header_cache.h) and its temporary copies are this
 * machine's, not the project's. */
static const char versions_gitignore[] = "/.ultramigrate-cache*\n";

static int create_project(init_run *r, const char *config_path, const char *script_location)
{
    strbuf versions = STRBUF_INIT, readme = STRBUF_INIT, ignore = STRBUF_INIT, tmpl = STRBUF_INIT,
           cfg = STRBUF_INIT;
    char *owned = NULL;
    int rc = choose_location(r, config_path, &script_location, &owned);
    if (rc)
        return rc;

    sb_printf(&versions, "%s/versions", script_location);
    sb_printf(&readme, "%s/versions/README.md", script_location);
    sb_printf(&ignore, "%s/versions/.gitignore", script_location);
    sb_printf(&tmpl, "%s/" TEMPLATE_NAME, script_location);
    if (config_path)
        config_text(&cfg, config_path, script_location);
    rc = sb_failed(&versions) || sb_failed(&readme) || sb_failed(&ignore) || sb_failed(&tmpl) ||
                 sb_failed(&cfg)
             ? err_nomem(&r->err)
             : UM_OK;
    if (!rc)
        rc = make_dir(r, script_location);
    if (!rc)
        rc = make_dir(r, sb_str(&versions));
    if (!rc)
        rc = make_file(r, sb_str(&readme), versions_readme);
    if (!rc)
        rc = make_file(r, sb_str(&ignore), versions_gitignore);
    if (!rc)
        rc = make_file(r, sb_str(&tmpl), template_default_script);
    if (!rc && config_path)
        rc = make_file(r, config_path, sb_str(&cfg));
    sb_free(&versions);
    sb_free(&readme);
    sb_free(&ignore);
    sb_free(&tmpl);
    sb_free(&cfg);
    free(owned);
    return rc;
}

int um_project_init_options_init(um_project_init_options *opts, unsigned int version)
{
    static const um_project_init_options init = UM_PROJECT_INIT_OPTIONS_INIT;
    return util_options_init(opts, &init, sizeof(init), version);
}

int um_project_init(char **errmsg_out, const um_project_init_options *opts)
{
    static const um_project_init_options defaults = UM_PROJECT_INIT_OPTIONS_INIT;
    init_run r = { NULL, NULL, { { 0 } } };
    int rc;
    if (errmsg_out)
        *errmsg_out = NULL;
    if (!opts)
        opts = &defaults;
    rc = err_check_version(&r.err, "um_project_init_options", opts->version,
                           UM_PROJECT_INIT_OPTIONS_VERSION);
    if (!rc) {
        r.log_cb = opts->log_cb;
        r.payload = opts->log_payload;
        rc = create_project(&r, opts->config_path, opts->script_location);
    }
    if (rc && errmsg_out && r.err.d.message)
        *errmsg_out = strdup(r.err.d.message);
    err_clear(&r.err);
    return rc;
}
