/*
 * json.c - JSON renderings of the public result structs, with Jansson.
 * The formats are documented in docs/json.md; each object carries
 * "format_version" so consumers can tell a change.
 *
 * A rendering is whole or nothing: every Jansson call that can fail is
 * checked, and a failure anywhere (out of memory, text that is not UTF-8,
 * a number JSON cannot hold) makes the renderer return NULL rather than a
 * document with a piece missing.  The helpers below make that sticky: a
 * container that could not take a value is released and becomes NULL, and
 * every later step on NULL fails too.
 */
#include <math.h>
#include <stdlib.h>

#include <jansson.h>

#include "internal.h"
#include "jsonb.h"

#define JSON_FORMAT_VERSION 1

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A JSON array of @n strings, each given by @at(@list, i). */
static json_t *string_array(const void *list, size_t n, const char *(*at)(const void *, size_t))
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        a = jsonb_append(a, json_string(at(list, i)));
    return a;
}

static const char *nth_string(const void *v, size_t i)
{
    return ((const char *const *)v)[i];
}

/* A JSON array of @n objects, each made by @make(@list, i), as
 * string_array's strings: the API's lists are reached through their
 * accessors, so each maker reads its element with the list's own. */
static json_t *object_array(const void *list, size_t n, json_t *(*make)(const void *, size_t))
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        a = jsonb_append(a, make(list, i));
    return a;
}

/* Milliseconds to the microsecond: 41.123, not 41.122999999999998. */
static double ms(double v)
{
    return round(v * 1000.0) / 1000.0;
}

/* Renders and frees @root; NULL on failure. */
static char *dump(json_t *root)
{
    char *text =
        root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
             : NULL;
    json_decref(root);
    return text;
}

/* A document that is one list (history, repair): its format_version and,
 * under @key, the array object_array() makes; NULL for a NULL @list. */
static char *list_document(const char *key, const void *list, size_t n,
                           json_t *(*make)(const void *, size_t))
{
    if (!list)
        return NULL;
    return dump(json_pack("{s:i, s:o}", "format_version", JSON_FORMAT_VERSION, key,
                          object_array(list, n, make)));
}

/* json_pack() takes the "o" values even when it fails (Jansson >= 2.11),
 * and fails on a NULL one: a piece that could not be built fails the
 * whole object. */
static json_t *revision_object(const um_revision *r)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
                     "revision", r->id, "message", r->message, "path", r->path, "create_date",
                     string_or_null(r->create_date), "parents",
                     string_array(r->parents, r->n_parents, nth_string), "depends_on",
                     string_array(r->depends_on, r->n_depends_on, nth_string), "branch_labels",
                     string_array(r->branch_labels, r->n_branch_labels, nth_string), "checksum",
                     r->checksum, "transactional", r->transactional, "reversible", r->has_down,
                     "is_head", r->is_head, "is_base", r->is_base, "is_merge", r->is_merge,
                     "is_branch_point", r->is_branch_point, "has_dependents", r->has_dependents);
}

char *um_revision_to_json(const um_revision *rev)
{
    if (!rev)
        return NULL;
    return dump(
        jsonb_set(revision_object(rev), "format_version", json_integer(JSON_FORMAT_VERSION)));
}

static json_t *applied_object(const void *st, size_t i)
{
    const um_applied *a = um_status_applied_at(st, i);
    /* applied_by is never NULL in the table: NULL is a summary (um_status_options) */
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:b, s:b, s:i}",
                     "revision", a->revision, "message", string_or_null(a->message), "checksum",
                     string_or_null(a->checksum), "applied_at", string_or_null(a->applied_at),
                     "duration_ms", a->applied_by ? json_real(ms(a->duration_ms)) : json_null(),
                     "applied_by", string_or_null(a->applied_by), "host", string_or_null(a->host),
                     "application_name", string_or_null(a->application_name), "tool_version",
                     string_or_null(a->tool_version), "state", a->state, "known", a->known,
                     "checksum_ok", a->checksum_ok, "statements_done", a->statements_done);
}

static json_t *pending_object(const void *st, size_t i)
{
    const um_revision *r = um_status_pending_at(st, i);
    return json_pack("{s:s, s:s, s:s}", "revision", r->id, "message", r->message, "path", r->path);
}

static const char *current_head(const void *st, size_t i)
{
    return um_status_current_head_at(st, i);
}

static const char *file_head(const void *st, size_t i)
{
    return um_status_file_head_at(st, i);
}

char *um_status_to_json(const um_status_info *s)
{
    if (!s)
        return NULL;
    size_t n_applied = um_status_applied_count(s), n_pending = um_status_pending_count(s);
    json_t *applied = object_array(s, n_applied, applied_object);
    json_t *pending = object_array(s, n_pending, pending_object);
    /* the counts as um_status_count() has them, health's too */
    json_t *counts =
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "applied",
                  (json_int_t)um_status_count(s, UM_STATUS_APPLIED), "pending",
                  (json_int_t)n_pending, "failed", (json_int_t)um_status_count(s, UM_STATUS_FAILED),
                  "in_progress", (json_int_t)um_status_count(s, UM_STATUS_IN_PROGRESS), "missing",
                  (json_int_t)um_status_count(s, UM_STATUS_MISSING));
    bool unfinished =
        um_status_count(s, UM_STATUS_FAILED) + um_status_count(s, UM_STATUS_IN_PROGRESS);
    return dump(
        json_pack("{s:i, s:o, s:o, s:b, s:I, s:o, s:s?, s:b, s:o, s:o}", "format_version",
                  JSON_FORMAT_VERSION, "current_heads",
                  string_array(s, um_status_current_head_count(s), current_head), "file_heads",
                  string_array(s, um_status_file_head_count(s), file_head), "up_to_date",
                  n_pending == 0 && !unfinished, "pending_count", (json_int_t)n_pending, "counts",
                  counts, "last_failed", um_status_last_failed(s), "run_in_progress",
                  um_status_run_in_progress(s) != 0, "applied", applied, "pending", pending));
}

static json_t *history_object(const void *h, size_t i)
{
    const um_history_entry *e = um_history_at(h, i);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)e->id, "revision", e->revision, "direction", e->direction, "state",
                     e->state, "started_at", e->started_at, "duration_ms", ms(e->duration_ms),
                     "applied_by", string_or_null(e->applied_by), "host", string_or_null(e->host),
                     "application_name", string_or_null(e->application_name), "tool_version",
                     string_or_null(e->tool_version), "error", string_or_null(e->error));
}

char *um_history_to_json(const um_history_list *h)
{
    return list_document("history", h, um_history_count(h), history_object);
}

static const char *health_id(const void *ids, size_t i)
{
    return ((const char(*)[UM_HEALTH_ID_SIZE])ids)[i];
}

/* The snapshot keeps the first UM_HEALTH_MAX_HEADS of @n ids. */
static json_t *id_array(const char ids[][UM_HEALTH_ID_SIZE], size_t n)
{
    return string_array(ids, n < UM_HEALTH_MAX_HEADS ? n : UM_HEALTH_MAX_HEADS, health_id);
}

/*
 * The host's health aggregator reads name, service_type, critical and
 * status at the top level; the rest is detail for people.
 */
char *um_health_to_json(const um_health *h)
{
    if (!h)
        return NULL;
    json_t *last = h->last_applied[0] ? json_pack("{s:s, s:s}", "revision", h->last_applied,
                                                  "applied_at", h->last_applied_at)
                                      : json_null();
    return dump(json_pack(
        "{s:s, s:s, s:b, s:s, s:b, s:i, s:s, s:o, s:o, s:I, s:o, s:f, s:s}", "name",
        "database_migrations", "service_type", "database", "critical", 0, "status",
        um_health_status_name(h->status), "healthy", h->status == UM_HEALTH_OK, "format_version",
        JSON_FORMAT_VERSION, "message", h->message, "current_heads",
        id_array(h->current_heads, h->n_current_heads), "expected_heads",
        id_array(h->expected_heads, h->n_expected_heads), "pending", (json_int_t)h->pending,
        "last_applied", last, "round_trip_ms", ms(h->round_trip_ms), "taken_at", h->taken_at));
}

static json_t *repair_object(const void *list, size_t i)
{
    const um_repair_entry *e = um_repair_at(list, i);
    return json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:i}", "revision", e->revision, "path",
                     string_or_null(e->path), "before", e->before, "after", e->after,
                     "old_checksum", string_or_null(e->old_checksum), "new_checksum",
                     string_or_null(e->new_checksum), "statements_done", e->statements_done);
}

char *um_repair_to_json(const um_repair_list *list)
{
    return list_document("repaired", list, um_repair_count(list), repair_object);
}
