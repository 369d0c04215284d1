/*
 * status.c - the database's state compared with the revision files.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pg.h"
#include "plan.h"
#include "store.h"
#include "util.h"

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void applied_free(um_applied *a)
{
    free((char *)a->revision);
    free((char *)a->checksum);
    free((char *)a->applied_at);
    free((char *)a->applied_by);
    free((char *)a->host);
    free((char *)a->application_name);
    free((char *)a->tool_version);
    free((char *)a->state);
}

void um_status_free(um_status_info *s)
{
    if (!s)
        return;
    free_strings(s->current_heads, s->n_current_heads);
    free_strings(s->file_heads, s->n_file_heads);
    for (size_t i = 0; i < s->n_applied; i++)
        applied_free(&s->applied[i]);
    free(s->applied);
    free(s->pending);
    free(s);
}

/* Moves the row's strings into the public struct (the row gives them up). */
static void take_applied(um_ctx *ctx, store_applied_row *row, um_applied *a)
{
    long idx = graph_find(ctx->graph, row->revision);
    const script_file *s = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
    a->revision = row->revision;
    a->checksum = row->checksum;
    a->applied_at = row->applied_at;
    a->duration_ms = row->duration_ms;
    a->applied_by = row->applied_by;
    a->host = row->host;
    a->application_name = row->application_name;
    a->tool_version = row->tool_version;
    a->state = row->state;
    a->message = s ? s->message : NULL;
    a->known = s != NULL;
    a->checksum_ok = s && row->checksum && strcmp(s->checksum, row->checksum) == 0;
    memset(row, 0, sizeof(*row));
}

static int fill_heads(um_ctx *ctx, um_status_info *s, store_state *st)
{
    size_t n_heads = 0;
    const size_t *heads = graph_heads(ctx->graph, &n_heads);
    s->file_heads = util_calloc(n_heads, sizeof(char *));
    if (!s->file_heads)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n_heads; i++) {
        s->file_heads[i] = strdup(graph_script(ctx->graph, heads[i])->id);
        if (!s->file_heads[i])
            return err_nomem(&ctx->err);
        s->n_file_heads++;
    }
    /* The version rows move over as they are. */
    s->current_heads = st->heads;
    s->n_current_heads = st->n_heads;
    st->heads = NULL;
    st->n_heads = 0;
    return UM_OK;
}

/* Pending: what an upgrade to every head would apply, in that order.  A
 * database ahead of the files has no pending list (it cannot be planned). */
static int fill_pending(um_ctx *ctx, um_status_info *s, const store_state *st)
{
    size_t n = graph_count(ctx->graph);
    unsigned char *applied = NULL;
    size_t *cur = NULL, n_cur = 0;
    s->pending = util_calloc(n, sizeof(*s->pending));
    if (!s->pending)
        return err_nomem(&ctx->err);
    int rc = plan_applied_set(ctx, st->heads, st->n_heads, &applied, &cur, &n_cur);
    if (rc == UM_ESTATE) {
        err_clear(&ctx->err);
        return UM_OK;
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (!applied[i])
            s->pending[s->n_pending++] = &ctx->revisions[i];
    free(applied);
    free(cur);
    return rc;
}

int um_status(um_status_info **out, um_ctx *ctx)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_status: out is NULL");

    store_state st;
    int rc = store_read_state_call(ctx, &st);
    if (rc)
        return rc;
    um_status_info *s = calloc(1, sizeof(*s));
    if (!s) {
        store_state_free(&st);
        return err_nomem(&ctx->err);
    }
    rc = fill_pending(ctx, s, &st);
    if (!rc)
        rc = fill_heads(ctx, s, &st);
    if (!rc && st.n_applied) {
        s->applied = calloc(st.n_applied, sizeof(*s->applied));
        rc = s->applied ? UM_OK : err_nomem(&ctx->err);
    }
    for (size_t i = 0; !rc && i < st.n_applied; i++)
        take_applied(ctx, &st.applied[i], &s->applied[s->n_applied++]);
    store_state_free(&st);
    if (rc)
        um_status_free(s);
    else
        *out = s;
    return rc;
}

int um_history(um_history_list **out, um_ctx *ctx, size_t limit)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out)
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "um_history: out is NULL");
    int rc = pg_call_begin(ctx);
    if (rc)
        return rc;
    rc = store_read_history(ctx, limit, out);
    pg_call_end(ctx);
    return rc;
}

/* ---- accessors --------------------------------------------------------- */

/*
 * The count and the accessor of each list of a status, as libgit2's
 * git_status_list_entrycount() and git_status_byindex(): a NULL status is
 * empty and an index out of range gives NULL.  @ref is & for a list of
 * structs, empty for a list of pointers.  Defines
 * um_status_current_head_count() and um_status_current_head_at(), and
 * likewise for file_head, applied and pending.
 */
#define STATUS_LIST_ACCESSORS(noun, type, list, ref)                                               \
    size_t um_status_##noun##_count(const um_status_info *st)                                      \
    {                                                                                              \
        return st ? st->n_##list : 0;                                                              \
    }                                                                                              \
    type um_status_##noun##_at(const um_status_info *st, size_t i)                                 \
    {                                                                                              \
        return st && i < st->n_##list ? ref st->list[i] : NULL;                                    \
    }

STATUS_LIST_ACCESSORS(current_head, const char *, current_heads, )
STATUS_LIST_ACCESSORS(file_head, const char *, file_heads, )
STATUS_LIST_ACCESSORS(applied, const um_applied *, applied, &)
STATUS_LIST_ACCESSORS(pending, const um_revision *, pending, )

size_t um_history_count(const um_history_list *h)
{
    return h ? h->count : 0;
}

const um_history_entry *um_history_at(const um_history_list *h, size_t i)
{
    return h && i < h->count ? &h->entries[i] : NULL;
}
