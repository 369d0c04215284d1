/*
 * drift.c - the drift check of um_verify() (um_verify_options.drift): the
 * configured database, read only, against the schema file loaded into a
 * scratch database, through autogenerate's models and differ (autogen.h),
 * so that what drift reports is what `auto --from-db` would write.
 *
 * The differ writes the script once and says which object each run of
 * statements is about (its span callback); its change list names what
 * differs.  Each change becomes a finding carrying the statements about
 * its object; statements about a column, key or index of a relation that
 * has no finding of its own go with the relation's findings.
 */
#include <stdlib.h>
#include <string.h>

#include "autogen.h"
#include "autogen_diff.h"
#include "pg.h"
#include "schema_model.h"
#include "strbuf.h"
#include "util.h"
#include "verify.h"

/* Longer values, or values on several lines, are not quoted in the
 * one-line message: the finding's fields carry them whole. */
#define MESSAGE_VALUE_MAX 60

typedef struct drift_span {
    const sm_object *subject;
    size_t start, end;
    bool orphan; /* its object has no finding of its own */
} drift_span;

typedef struct drift_change {
    autogen_change change;
    const sm_object *object; /* the database's, or the schema file's when missing there */
    const sm_object *from, *to;
    size_t attr;
} drift_change;

typedef struct drift_state {
    um_ctx *ctx;
    um_verify_result *r;
    strbuf sql; /* the whole script */
    drift_span *spans;
    size_t n_spans, cap_spans;
    drift_change *changes;
    size_t n_changes, cap_changes;
    bool failed; /* out of memory */
} drift_state;

static void keep_span(const sm_object *subject, size_t start, size_t end, void *payload)
{
    drift_state *d = payload;
    drift_span *grown = util_grow(d->spans, d->n_spans, &d->cap_spans, sizeof(*grown));
    if (!grown) {
        d->failed = true;
        return;
    }
    d->spans = grown;
    d->spans[d->n_spans++] = (drift_span){ subject, start, end, false };
}

static void keep_change(autogen_change change, const sm_object *from, const sm_object *to,
                        size_t attr, void *payload)
{
    drift_state *d = payload;
    drift_change *grown = util_grow(d->changes, d->n_changes, &d->cap_changes, sizeof(*grown));
    if (!grown) {
        d->failed = true;
        return;
    }
    d->changes = grown;
    d->changes[d->n_changes++] = (drift_change){ change, from ? from : to, from, to, attr };
}

/* ---- which statements go with which finding ------------------------------ */

static bool same_object(const sm_object *a, const sm_object *b)
{
    return a->kind == b->kind && strcmp(a->key, b->key) == 0;
}

/* A span is an orphan when its object has no finding of its own (a
 * column, key or index of a missing table, a view made again around a
 * change): it goes with its relation's findings, if any. */
static void mark_orphans(drift_state *d)
{
    for (size_t i = 0; i < d->n_spans; i++) {
        drift_span *s = &d->spans[i];
        s->orphan = true;
        for (size_t k = 0; k < d->n_changes && s->orphan; k++)
            s->orphan = !same_object(d->changes[k].object, s->subject);
    }
}

static bool span_belongs(const drift_span *s, const sm_object *o)
{
    if (same_object(s->subject, o))
        return true;
    return s->orphan && (o->kind == SM_TABLE || o->kind == SM_VIEW) && s->subject->table &&
           strcmp(s->subject->table, o->key) == 0;
}

/* The statements about @o, in script order (a span reported to several
 * tables, the one DROP TABLE, is taken once). */
static char *sql_about(const drift_state *d, const sm_object *o)
{
    strbuf sb = STRBUF_INIT;
    size_t last_start = (size_t)-1;
    const char *text = sb_str(&d->sql);
    for (size_t i = 0; text && i < d->n_spans; i++) {
        const drift_span *s = &d->spans[i];
        if (s->start == last_start || !span_belongs(s, o))
            continue;
        sb_append(&sb, text + s->start, s->end - s->start);
        last_start = s->start;
    }
    return sb_detach(&sb);
}

/* ---- the findings -------------------------------------------------------- */

static const char *difference_name(autogen_change change)
{
    return change == AUTOGEN_ADDED ? "missing" : change == AUTOGEN_REMOVED ? "extra" : "changed";
}

static bool quotable(const char *v)
{
    return !v || (strlen(v) <= MESSAGE_VALUE_MAX && !strchr(v, '\n'));
}

/* A value of @c's attribute as the message shows it. */
static const char *words(const drift_change *c, const char *value)
{
    const char *w = sm_attr_words(c->object->kind, c->attr, value);
    return w ? w : "not set";
}

/* "column public.t.id: type is integer in the database, bigint in the
 * schema file", the values left out when they do not fit on a line. */
static um_verify_finding *add_changed(drift_state *d, const drift_change *c)
{
    const char *kind = sm_kind_name(c->object->kind), *name = c->object->key;
    const char *attr = sm_attr_name(c->object->kind, c->attr);
    const char *was = sm_attr(c->from, c->attr), *want = sm_attr(c->to, c->attr);
    um_verify_finding *f;
    if (quotable(was) && quotable(want))
        f = verify_add(d->r, UM_VERIFY_ERROR, "drift", NULL, NULL, 0,
                       "%s %s: %s is %s in the database, %s in the schema file", kind, name, attr,
                       words(c, was), words(c, want));
    else
        f = verify_add(d->r, UM_VERIFY_ERROR, "drift", NULL, NULL, 0,
                       "%s %s: the %s differs between the database and the schema file", kind, name,
                       attr);
    if (!f)
        return NULL;
    f->attribute = util_strdup_null(attr);
    f->database_value = util_strdup_null(was);
    f->schema_value = util_strdup_null(want);
    d->failed = d->failed || (attr && !f->attribute) || (was && !f->database_value) ||
                (want && !f->schema_value);
    return f;
}

static um_verify_finding *add_presence(drift_state *d, const drift_change *c)
{
    return verify_add(d->r, UM_VERIFY_ERROR, "drift", NULL, NULL, 0,
                      c->change == AUTOGEN_ADDED
                          ? "%s %s is in the schema file but not in the database"
                          : "%s %s is in the database but not in the schema file",
                      sm_kind_name(c->object->kind), c->object->key);
}

static void add_finding(drift_state *d, const drift_change *c)
{
    char *sql = sql_about(d, c->object);
    um_verify_finding *f = NULL;
    if (sql)
        f = c->change == AUTOGEN_CHANGED ? add_changed(d, c) : add_presence(d, c);
    if (!f) {
        /* verify_add's failure is already on r->failed */
        d->failed = d->failed || !sql;
        free(sql);
        return;
    }
    f->sql = sql;
    f->object_kind = strdup(sm_kind_name(c->object->kind));
    f->object_name = strdup(c->object->key);
    f->difference = strdup(difference_name(c->change));
    d->failed = d->failed || !f->object_kind || !f->object_name || !f->difference;
}

/* ---- the run ------------------------------------------------------------- */

static int compare(drift_state *d, const sm_model *db, const sm_model *declared)
{
    autogen_diff_options o = autogen_options_of(d->ctx);
    size_t destructive = 0;
    o.span_cb = keep_span;
    o.span_payload = d;
    autogen_diff(db, declared, &o, &d->sql, &destructive);
    autogen_diff_changes(db, declared, &o, keep_change, d);
    if (d->failed || sb_failed(&d->sql))
        return err_nomem(&d->ctx->err);
    mark_orphans(d);
    for (size_t i = 0; i < d->n_changes && !d->failed; i++)
        add_finding(d, &d->changes[i]);
    if (d->failed)
        return err_nomem(&d->ctx->err);
    d->r->drift_sql = sb_detach(&d->sql);
    return d->r->drift_sql ? UM_OK : err_nomem(&d->ctx->err);
}

int drift_run(um_ctx *ctx, um_verify_result *r)
{
    sm_model *db = NULL, *declared = NULL;
    drift_state d = { ctx, r, STRBUF_INIT, NULL, 0, 0, NULL, 0, 0, false };
    int rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    rc = autogen_read_models(ctx, "the drift check", &db, &declared);
    pg_call_end(ctx);
    if (!rc)
        rc = compare(&d, db, declared);
    sb_free(&d.sql);
    free(d.spans);
    free(d.changes);
    sm_model_free(db);
    sm_model_free(declared);
    return rc;
}
