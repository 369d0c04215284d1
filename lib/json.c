/*
 * json.c - JSON renderings of the public result structs, with Jansson.
 * The formats are documented in docs/json.md; each object carries
 * "format_version" so consumers can tell a change.
 */
#include <math.h>
#include <stdlib.h>

#include <jansson.h>

#include "internal.h"

#define JSON_FORMAT_VERSION 1

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
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

static json_t *revision_object(const um_revision *r)
{
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:b, s:b, s:b, s:b, s:b, s:b}", "revision", r->id,
        "message", r->message, "path", r->path, "create_date", string_or_null(r->create_date),
        "parents", string_array(r->parents, r->n_parents), "depends_on",
        string_array(r->depends_on, r->n_depends_on), "checksum", r->checksum, "transactional",
        r->transactional, "reversible", r->has_down, "is_head", r->is_head, "is_base", r->is_base,
        "is_merge", r->is_merge, "is_branch_point", r->is_branch_point);
}

char *um_revision_to_json(const um_revision *rev)
{
    if (!rev)
        return NULL;
    json_t *o = revision_object(rev);
    if (o)
        json_object_set_new(o, "format_version", json_integer(JSON_FORMAT_VERSION));
    return dump(o);
}

static json_t *applied_object(const um_applied *a)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:f, s:o, s:o, s:o, s:o, s:s, s:b, s:b}", "revision",
                     a->revision, "message", string_or_null(a->message), "checksum",
                     string_or_null(a->checksum), "applied_at", string_or_null(a->applied_at),
                     "duration_ms", ms(a->duration_ms), "applied_by", string_or_null(a->applied_by),
                     "host", string_or_null(a->host), "application_name",
                     string_or_null(a->application_name), "tool_version",
                     string_or_null(a->tool_version), "state", a->state, "known", a->known,
                     "checksum_ok", a->checksum_ok);
}

char *um_status_to_json(const um_status_info *s)
{
    if (!s)
        return NULL;
    json_t *applied = json_array(), *pending = json_array();
    for (size_t i = 0; applied && i < s->n_applied; i++)
        json_array_append_new(applied, applied_object(&s->applied[i]));
    for (size_t i = 0; pending && i < s->n_pending; i++)
        json_array_append_new(pending,
                              json_pack("{s:s, s:s, s:s}", "revision", s->pending[i]->id, "message",
                                        s->pending[i]->message, "path", s->pending[i]->path));
    json_t *root = json_pack(
        "{s:i, s:o, s:o, s:b, s:I, s:o, s:o}", "format_version", JSON_FORMAT_VERSION,
        "current_heads", string_array((const char *const *)s->current_heads, s->n_current_heads),
        "file_heads", string_array((const char *const *)s->file_heads, s->n_file_heads),
        "up_to_date", s->n_pending == 0, "pending_count", (json_int_t)s->n_pending, "applied",
        applied, "pending", pending);
    return dump(root);
}

static json_t *history_object(const um_history_entry *e)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)e->id, "revision", e->revision, "direction", e->direction, "state",
                     e->state, "started_at", e->started_at, "duration_ms", ms(e->duration_ms),
                     "applied_by", string_or_null(e->applied_by), "host", string_or_null(e->host),
                     "application_name", string_or_null(e->application_name), "tool_version",
                     string_or_null(e->tool_version), "error", string_or_null(e->error));
}

char *um_history_to_json(const um_history_list *h)
{
    if (!h)
        return NULL;
    json_t *entries = json_array();
    for (size_t i = 0; entries && i < h->count; i++)
        json_array_append_new(entries, history_object(&h->entries[i]));
    return dump(json_pack("{s:i, s:o}", "format_version", JSON_FORMAT_VERSION, "history", entries));
}

static json_t *id_array(const char ids[][UM_HEALTH_ID_SIZE], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n && i < UM_HEALTH_MAX_HEADS; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
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
