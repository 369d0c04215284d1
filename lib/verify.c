/*
 * verify.c - um_verify(): the offline checks of the revision files, the
 * online checks of the database's state against them, the result and its
 * JSON (docs/json.md, "Verify and check"); and the scan an upgrade or a
 * downgrade makes of the sections it is about to run.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonb.h"
#include "pg.h"
#include "store.h"
#include "strbuf.h"
#include "txblock.h"
#include "util.h"
#include "verify.h"

#define VERIFY_JSON_FORMAT_VERSION 1

/* ---- what a transactional revision cannot hold ---------------------------- */

static const char control_why[] =
    "the engine runs the revision in one transaction, which it would end or nest (ROLLBACK or"
    " ABORT would leave the revision recorded as applied with nothing done, COMMIT would commit"
    " half of it); remove it: each revision already is one transaction";

static const char refused_why[] =
    "cannot run inside a transaction block, and this revision runs in one; move it to a"
    " revision of its own with 'Transactional: no'";

static const char session_why[] =
    "it resets the session the engine runs the revisions in, and the engine keeps its own"
    " state there (the advisory lock that keeps other runs out, the prepared statements that"
    " record each revision); remove it, in a 'Transactional: no' revision too";

/* The first statement a run must refuse, kept by the scan's callback,
 * and the session settings the section changes. */
typedef struct first_hit {
    bool transactional; /* the revision's */
    bool found;
    txblock_kind kind;
    char what[160];
    char text[64];
    int line;
    strbuf settings; /* "name\n" each, once */
} first_hit;

/* Whether a run must refuse @hit before anything runs.  A syntax error of
 * the grammar is left to the server, whose version may know the syntax
 * that this parser does not; an unterminated comment or string would
 * swallow the rest of the section whatever the version. */
static bool refused(const txblock_hit *hit, bool transactional)
{
    switch (hit->kind) {
    case TXBLOCK_SYNTAX_ERROR:
        return hit->unterminated;
    case TXBLOCK_SESSION:
        return true;
    case TXBLOCK_SETTING: /* followed: the run puts the setting back after */
        return false;
    default: /* statement by statement outside a transaction: they may run */
        return transactional;
    }
}

/* Adds the @len bytes of @name to the "name\n" list @list unless there. */
int checked_sections_setting_index(const char *list, const char *name, size_t len)
{
    int i = 0;
    for (const char *p = list ? list : ""; *p; p += strcspn(p, "\n") + 1, i++)
        if (strcspn(p, "\n") == len && strncmp(p, name, len) == 0)
            return i;
    return -1;
}

static void add_setting(strbuf *list, const char *name, size_t len)
{
    if (checked_sections_setting_index(list->len ? sb_str(list) : NULL, name, len) < 0)
        sb_printf(list, "%.*s\n", (int)len, name);
}

static bool keep_first(const txblock_hit *hit, void *payload)
{
    first_hit *f = payload;
    if (hit->kind == TXBLOCK_SYNTAX_ERROR && !hit->unterminated)
        return false; /* nothing else was looked at */
    if (hit->kind == TXBLOCK_SETTING)
        add_setting(&f->settings, hit->what, strlen(hit->what));
    if (!refused(hit, f->transactional))
        return true;
    strbuf settings = f->settings;
    *f = (first_hit){ f->transactional, true, hit->kind, "", "", hit->line, settings };
    snprintf(f->what, sizeof(f->what), "%s", hit->what);
    snprintf(f->text, sizeof(f->text), "%s", hit->text);
    return false;
}

static int refuse_step(um_ctx *ctx, const script_file *s, bool up, const first_hit *f)
{
    const char *section = up ? "up" : "down";
    if (f->kind == TXBLOCK_SYNTAX_ERROR) {
        int rc = ctx_error(ctx, UM_EPARSE, s->path, f->line, s->id,
                           "the %s section does not parse: %s (SQLSTATE " SQLSTATE_SYNTAX_ERROR
                           "); nothing was run",
                           section, f->what);
        err_set_server(&ctx->err, SQLSTATE_SYNTAX_ERROR, NULL, NULL);
        return rc;
    }
    if (f->kind == TXBLOCK_SESSION)
        return ctx_error(ctx, UM_EPARSE, s->path, f->line, s->id,
                         "'%s' in the %s section: %s must not run in a revision: %s; nothing"
                         " was run",
                         f->text, section, f->what, session_why);
    if (f->kind == TXBLOCK_CONTROL)
        return ctx_error(ctx, UM_EPARSE, s->path, f->line, s->id,
                         "'%s' in the %s section is transaction control (%s); nothing was run: %s",
                         f->text, section, f->what, control_why);
    return ctx_error(ctx, UM_EPARSE, s->path, f->line, s->id,
                     "'%s' in the %s section: %s %s; nothing was run", f->text, section, f->what,
                     refused_why);
}

/* ---- an empty up section -------------------------------------------------- */

static const char empty_why[] =
    "the up section is empty (blank lines and comments only): an upgrade records the revision"
    " as applied and runs nothing; write its SQL, or delete the file if it is not needed";

/* Whether @p holds no statement: blanks, ';', "--" comments and (nested)
 * C-style comments only.  A string or identifier is a statement's. */
static bool sql_is_blank(const char *p)
{
    int depth = 0;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (depth && p[0] == '*' && p[1] == '/') {
            depth--;
            p += 2;
        } else if (depth || isspace((unsigned char)*p) || *p == ';') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else {
            return false;
        }
    }
    return true;
}

/* A merge revision ('Revises:' naming several) usually joins heads and runs
 * nothing: `merge` writes it empty, as Alembic does, so it is not flagged. */
static bool empty_up_flagged(const script_file *s, const char *up_sql)
{
    return s->n_parents < 2 && sql_is_blank(up_sql);
}

/* ---- before a run ---------------------------------------------------------- */

/* Keeps step @k's checked @sql in @cs while the budget allows; else
 * frees it. */
static void keep_section(checked_sections *cs, size_t k, char *sql, int first_line)
{
    size_t len = strlen(sql);
    if (!cs || len > CHECKED_SECTIONS_MAX - cs->bytes) {
        free(sql);
        return;
    }
    cs->sql[k] = sql;
    cs->first_line[k] = first_line;
    cs->bytes += len;
}

static int check_section(um_ctx *ctx, const script_file *s, bool up, checked_sections *keep,
                         size_t k)
{
    char *sql = NULL;
    int first_line = 0;
    first_hit f = { .transactional = s->transactional, .settings = STRBUF_INIT };
    int rc = script_read_section(s, up, &sql, &first_line, &ctx->err);
    if (!rc && up && empty_up_flagged(s, sql))
        log_printf(&ctx->log, UM_LOG_WARNING, "%s:%d: revision %s: %s", s->path, s->up_line, s->id,
                   empty_why);
    if (!rc)
        rc = txblock_scan(sql, first_line, keep_first, &f, ctx, &ctx->err);
    for (const char *p = keep ? sb_str(&f.settings) : NULL; p && *p; p += strcspn(p, "\n") + 1)
        add_setting(&keep->all_settings, p, strcspn(p, "\n"));
    if (!rc && (sb_failed(&f.settings) || (keep && sb_failed(&keep->all_settings))))
        rc = err_nomem(&ctx->err);
    if (!rc && keep && f.settings.len)
        keep->settings[k] = sb_detach(&f.settings);
    sb_free(&f.settings);
    if (!rc && !f.found)
        keep_section(keep, k, sql, first_line);
    else
        free(sql);
    return !rc && f.found ? refuse_step(ctx, s, up, &f) : rc;
}

int verify_plan_sections(um_ctx *ctx, const um_plan *plan, checked_sections *keep)
{
    int rc = UM_OK;
    bool up = plan->direction == UM_UP;
    if (keep) {
        *keep = (checked_sections){ .n = plan->n_steps };
        keep->sql = util_calloc(plan->n_steps, sizeof(*keep->sql));
        keep->first_line = util_calloc(plan->n_steps, sizeof(*keep->first_line));
        keep->settings = util_calloc(plan->n_steps, sizeof(*keep->settings));
        keep->all_settings = (strbuf)STRBUF_INIT;
        if (!keep->sql || !keep->first_line || !keep->settings)
            rc = err_nomem(&ctx->err);
    }
    for (size_t k = 0; !rc && k < plan->n_steps; k++)
        rc = check_section(ctx, graph_script(ctx->graph, plan->graph_index[k]), up, keep, k);
    if (rc)
        checked_sections_free(keep);
    return rc;
}

bool checked_sections_take(checked_sections *cs, size_t k, char **sql, int *first_line)
{
    if (!cs->sql || k >= cs->n || !cs->sql[k])
        return false;
    *sql = cs->sql[k];
    *first_line = cs->first_line[k];
    cs->sql[k] = NULL;
    return true;
}

const char *checked_sections_settings(const checked_sections *cs, size_t k)
{
    return cs->settings && k < cs->n ? cs->settings[k] : NULL;
}

void checked_sections_free(checked_sections *cs)
{
    if (!cs)
        return;
    for (size_t k = 0; k < cs->n; k++) {
        if (cs->sql)
            free(cs->sql[k]);
        if (cs->settings)
            free(cs->settings[k]);
    }
    free(cs->sql);
    free(cs->settings);
    sb_free(&cs->all_settings);
    free(cs->first_line);
    *cs = (checked_sections){ 0 };
}

/* ---- the result ---------------------------------------------------------- */

um_verify_finding *verify_add(um_verify_result *r, um_verify_severity severity, const char *code,
                              const char *revision, const char *file, int line, const char *fmt,
                              ...)
{
    um_verify_finding *v = util_grow(r->findings, r->n, &r->cap, sizeof(*v));
    if (!v) {
        r->failed = true;
        return NULL;
    }
    r->findings = v;
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    /* the drift fields are the caller's to fill */
    um_verify_finding f = { .severity = severity,
                            .code = code,
                            .revision = util_strdup_null(revision),
                            .file = util_strdup_null(file),
                            .line = line,
                            .message = sb_detach(&sb) };
    if (!f.message || (revision && !f.revision) || (file && !f.file)) {
        free((char *)f.message);
        free((char *)f.revision);
        free((char *)f.file);
        r->failed = true;
        return NULL;
    }
    r->findings[r->n] = f;
    r->n_errors += severity == UM_VERIFY_ERROR;
    return &r->findings[r->n++];
}

static void finding_free(um_verify_finding *f)
{
    const char *strings[] = { f->revision,     f->file,       f->message,   f->object_kind,
                              f->object_name,  f->difference, f->attribute, f->database_value,
                              f->schema_value, f->sql };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free((char *)strings[i]);
}

void um_verify_free(um_verify_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        finding_free(&r->findings[i]);
    free(r->findings);
    free(r->drift_sql);
    free(r->online_reason);
    um_status_free(r->status);
    free(r->file_heads);
    free(r);
}

/* ---- offline ------------------------------------------------------------- */

typedef struct section_scan {
    um_verify_result *r;
    const script_file *s;
    const char *section;
} section_scan;

static bool add_hit(const txblock_hit *hit, void *payload)
{
    section_scan *sc = payload;
    const script_file *s = sc->s;
    if (hit->kind == TXBLOCK_SYNTAX_ERROR)
        verify_add(sc->r, UM_VERIFY_ERROR, "syntax-error", s->id, s->path, hit->line,
                   "the %s section does not parse: %s", sc->section, hit->what);
    else if (hit->kind == TXBLOCK_SETTING)
        return true; /* a run puts it back after the revision */
    else if (hit->kind == TXBLOCK_SESSION)
        verify_add(sc->r, UM_VERIFY_ERROR, "session-reset", s->id, s->path, hit->line,
                   "'%s' in the %s section: %s must not run in a revision: %s", hit->text,
                   sc->section, hit->what, session_why);
    else if (!s->transactional)
        return true; /* run statement by statement: each may be anything */
    else if (hit->kind == TXBLOCK_CONTROL)
        verify_add(sc->r, UM_VERIFY_ERROR, "transaction-control", s->id, s->path, hit->line,
                   "'%s' in the %s section is transaction control (%s): %s", hit->text, sc->section,
                   hit->what, control_why);
    else
        verify_add(sc->r, UM_VERIFY_ERROR, "not-in-transaction-block", s->id, s->path, hit->line,
                   "'%s' in the %s section: %s %s", hit->text, sc->section, hit->what, refused_why);
    return true;
}

static int scan_section(um_ctx *ctx, um_verify_result *r, const script_file *s, bool up)
{
    section_scan sc = { r, s, up ? "up" : "down" };
    char *sql = NULL;
    int first_line = 0;
    int rc = script_read_section(s, up, &sql, &first_line, &ctx->err);
    if (!rc && up && empty_up_flagged(s, sql))
        verify_add(r, UM_VERIFY_WARNING, "empty-up", s->id, s->path, s->up_line, "%s", empty_why);
    if (!rc)
        rc = txblock_scan(sql, first_line, add_hit, &sc, ctx, &ctx->err);
    free(sql);
    return rc;
}

static int check_revision(um_ctx *ctx, um_verify_result *r, const script_file *s)
{
    int rc = scan_section(ctx, r, s, true);
    if (!rc && s->has_down)
        rc = scan_section(ctx, r, s, false);
    if (!s->has_down)
        verify_add(r, UM_VERIFY_WARNING, "missing-down", s->id, s->path, s->up_line,
                   "no '-- migrate:down' section: the revision can never be downgraded");
    return rc;
}

static void check_heads(um_ctx *ctx, um_verify_result *r, bool allow_multiple)
{
    size_t n = 0;
    const size_t *heads = graph_heads(ctx->graph, &n);
    if (!(r->file_heads = util_calloc(n, sizeof(*r->file_heads)))) {
        r->failed = true;
        return;
    }
    strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        r->file_heads[r->n_file_heads++] = graph_script(ctx->graph, heads[i])->id;
        sb_printf(&list, "%s%s", i ? ", " : "", r->file_heads[i]);
    }
    if (n > 1 && !allow_multiple)
        verify_add(r, UM_VERIFY_ERROR, "multiple-heads", NULL, NULL, 0,
                   "the revision files have %zu heads (%s); merge them with 'ultramigrate merge',"
                   " or allow them with --allow-multiple-heads",
                   n, sb_failed(&list) ? "?" : sb_str(&list));
    sb_free(&list);
}

int verify_cancelled(um_ctx *ctx)
{
    if (!pg_cancel_requested(ctx))
        return UM_OK;
    return ctx_error(ctx, UM_ECANCELLED, NULL, 0, NULL,
                     "verify cancelled by the host; what it found so far is not reported");
}

static int verify_offline(um_ctx *ctx, um_verify_result *r, const um_verify_options *o)
{
    int rc = UM_OK;
    check_heads(ctx, r, o->allow_multiple_heads != 0);
    for (size_t i = 0; !rc && i < graph_count(ctx->graph); i++)
        if (!(rc = verify_cancelled(ctx)))
            rc = check_revision(ctx, r, graph_script(ctx->graph, i));
    return rc;
}

/* ---- online -------------------------------------------------------------- */

static void check_version_rows(um_ctx *ctx, um_verify_result *r, const store_state *st)
{
    for (size_t i = 0; i < st->n_heads; i++)
        if (graph_find(ctx->graph, st->heads[i]) < 0)
            verify_add(r, UM_VERIFY_ERROR, "database-ahead", st->heads[i], NULL, 0,
                       "the database is at this revision, but no file in %s defines it (the"
                       " database is ahead of these files, or they are the wrong ones)",
                       ctx->versions_dir);
}

static void check_applied_row(um_ctx *ctx, um_verify_result *r, const store_state *st,
                              const um_applied *a)
{
    long idx = graph_find(ctx->graph, a->revision);
    const script_file *s = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
    const char *path = s ? s->path : NULL;
    if (strcmp(a->state, "failed") == 0)
        verify_add(r, UM_VERIFY_ERROR, "revision-failed", a->revision, path, 0,
                   "recorded as failed: a 'Transactional: no' revision stopped part-way, and"
                   " part of it may have run; see 'ultramigrate history', then repair it with"
                   " 'ultramigrate repair %s --applied' or '--rolled-back'",
                   a->revision);
    else if (strcmp(a->state, "applied") != 0)
        verify_add(r, UM_VERIFY_ERROR, "revision-in-progress", a->revision, path, 0,
                   "recorded as %s: a run is applying it now, or stopped without recording"
                   " how it ended; if no run is going on, repair it with 'ultramigrate repair"
                   " %s --applied' or '--rolled-back'",
                   a->state, a->revision);
    else if (!s && !store_is_head(st, a->revision))
        verify_add(r, UM_VERIFY_ERROR, "missing-file", a->revision, NULL, 0,
                   "applied, but no file in %s defines it any more (deleted or renamed?);"
                   " restore the file",
                   ctx->versions_dir);
    else if (s && !script_checksum_matches(s, a->checksum))
        verify_add(r, UM_VERIFY_ERROR, "checksum-mismatch", a->revision, s->path, s->up_line,
                   "the up section changed after it was applied (applied checksum %s, file now"
                   " %s): restore the file, or write a new revision for the change; if the"
                   " edit was intended, record it with 'ultramigrate repair --checksums'",
                   a->checksum ? a->checksum : "none", s->checksum);
}

static bool unreachable(int rc)
{
    return rc == UM_ECONNECT || rc == UM_ECONNLOST || rc == UM_EAUTH;
}

static int verify_online(um_ctx *ctx, um_verify_result *r)
{
    store_state st;
    int rc = store_read_state_call(ctx, &st);
    if (unreachable(rc)) {
        r->online = UM_VERIFY_ONLINE_SKIPPED;
        if (!(r->online_reason = strdup(um_errmsg(ctx))))
            r->failed = true;
        err_clear(&ctx->err);
        return UM_OK;
    }
    if (rc)
        return rc;
    check_version_rows(ctx, r, &st);
    for (size_t i = 0; i < st.n_applied; i++)
        check_applied_row(ctx, r, &st, &st.applied[i]);
    store_state_free(&st);
    r->online = UM_VERIFY_ONLINE_DONE;
    return um_status(&r->status, ctx);
}

/* ---- public API ---------------------------------------------------------- */

/*
 * The size of um_verify_options as a host built against @version has it
 * (0: unknown): version 1 ends before drift.  Only what the host's struct
 * holds is read or written.
 */
static size_t verify_options_size(unsigned int version)
{
    if (version == 1)
        return offsetof(um_verify_options, drift);
    return version == UM_VERIFY_OPTIONS_VERSION ? sizeof(um_verify_options) : 0;
}

int um_verify_options_init(um_verify_options *opts, unsigned int version)
{
    static const um_verify_options init = UM_VERIFY_OPTIONS_INIT;
    return util_options_init_sized(opts, &init, verify_options_size(version), version);
}

/* @opts (NULL: the defaults) as this version's struct in @out, the fields
 * an older host lacks at their defaults; UM_EVERSION for an unknown one. */
static int verify_options_copy(um_ctx *ctx, const um_verify_options *opts, um_verify_options *out)
{
    static const um_verify_options init = UM_VERIFY_OPTIONS_INIT;
    *out = init;
    if (!opts)
        return UM_OK;
    size_t size = verify_options_size(opts->version);
    if (!size)
        return err_check_version(&ctx->err, "um_verify_options", opts->version,
                                 UM_VERIFY_OPTIONS_VERSION);
    memcpy(out, opts, size);
    if (out->drift && out->offline)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_verify: the drift check reads the database; it cannot be offline");
    return UM_OK;
}

int um_verify(um_verify_result **out, um_ctx *ctx, const um_verify_options *opts)
{
    um_verify_options o;
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_verify: out is NULL");
    int rc = verify_options_copy(ctx, opts, &o);
    if (rc)
        return rc;
    um_verify_result *r = calloc(1, sizeof(*r));
    if (!r)
        return err_nomem(&ctx->err);
    /* the cancel request of an earlier call is forgotten; um_cancel() from
     * now on stops the scan, and the checks that follow it */
    pg_cancel_forget(ctx);
    rc = verify_offline(ctx, r, &o);
    if (!rc)
        rc = verify_cancelled(ctx); /* the online checks' calls forget it */
    if (!rc && !o.offline)
        rc = verify_online(ctx, r);
    /* with the database unreachable there is nothing to compare */
    if (!rc && o.drift && r->online == UM_VERIFY_ONLINE_DONE)
        rc = drift_run(ctx, r);
    if (!rc && o.roundtrip_url)
        rc = roundtrip_run(ctx, o.roundtrip_url, r);
    if (!rc)
        rc = verify_cancelled(ctx);
    if (!rc && r->failed)
        rc = err_nomem(&ctx->err);
    if (rc) {
        um_verify_free(r);
        return rc;
    }
    *out = r;
    return UM_OK;
}

UTIL_LIST_ACCESSORS(um_verify_count, um_verify_at, um_verify_result, const um_verify_finding *, n,
                    findings, &)

UTIL_GETTER(um_verify_error_count, um_verify_result, size_t, n_errors, 0)
UTIL_GETTER(um_verify_online_state, um_verify_result, um_verify_online, online,
            UM_VERIFY_ONLINE_OFF)
UTIL_GETTER(um_verify_online_reason, um_verify_result, const char *, online_reason, NULL)
UTIL_GETTER(um_verify_status, um_verify_result, const um_status_info *, status, NULL)
UTIL_GETTER(um_verify_drift_sql, um_verify_result, const char *, drift_sql, NULL)

/* ---- JSON ---------------------------------------------------------------- */

static const char *online_name(um_verify_online online)
{
    return online == UM_VERIFY_ONLINE_DONE      ? "done"
           : online == UM_VERIFY_ONLINE_SKIPPED ? "skipped"
                                                : "off";
}

/* A drift finding's object and difference; null for the other findings. */
static json_t *drift_object(const um_verify_finding *f)
{
    if (!f->difference)
        return json_null();
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s}", "kind", f->object_kind, "name",
                     f->object_name, "difference", f->difference, "attribute", f->attribute,
                     "database", f->database_value, "schema", f->schema_value, "sql", f->sql);
}

static json_t *finding_object(const um_verify_finding *f)
{
    return json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:s, s:o}", "severity",
                     f->severity == UM_VERIFY_ERROR ? "error" : "warning", "code", f->code,
                     "revision", f->revision, "file", f->file, "line", f->line, "message",
                     f->message, "drift", drift_object(f));
}

typedef const char *(*head_at)(const um_status_info *st, size_t i);

static json_t *status_heads(const um_status_info *st, head_at at)
{
    json_t *a = json_array();
    const char *id;
    for (size_t i = 0; a && (id = at(st, i)); i++)
        a = jsonb_append(a, json_string(id));
    return a;
}

static json_t *pending_array(const um_status_info *st)
{
    json_t *a = json_array();
    const um_revision *rev;
    for (size_t i = 0; a && (rev = um_status_pending_at(st, i)); i++)
        a = jsonb_append(a, json_pack("{s:s, s:s, s:s}", "id", rev->id, "message", rev->message,
                                      "file", rev->path));
    return a;
}

static json_t *file_heads(const um_verify_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_file_heads; i++)
        a = jsonb_append(a, json_string(r->file_heads[i]));
    return a;
}

char *um_verify_to_json(const um_verify_result *r)
{
    if (!r)
        return NULL;
    json_t *findings = json_array();
    for (size_t i = 0; findings && i < r->n; i++)
        findings = jsonb_append(findings, finding_object(&r->findings[i]));
    const um_status_info *st = r->status;
    /* null where the online checks read nothing; NULL (out of memory) makes
     * json_pack fail, so a missing part never gives a partial document */
    json_t *current = st ? status_heads(st, um_status_current_head_at) : json_null();
    json_t *pending = st ? pending_array(st) : json_null();
    json_t *root =
        json_pack("{s:i, s:s, s:s?, s:I, s:I, s:o, s:o, s:o, s:s?, s:o}", "format_version",
                  VERIFY_JSON_FORMAT_VERSION, "online", online_name(r->online), "online_error",
                  r->online_reason, "errors", (json_int_t)r->n_errors, "warnings",
                  (json_int_t)(r->n - r->n_errors), "file_heads", file_heads(r), "current_heads",
                  current, "pending", pending, "drift_sql", r->drift_sql, "findings", findings);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}
