/*
 * plan.c - what an upgrade or a downgrade must do.
 *
 * Up to T: every ancestor of T (parents and dependencies) that is not
 * applied.  Down to T: every applied revision that descends from T and is
 * not needed by T; "base" removes everything.  Both in Alembic's order
 * (graph_order).
 */
#include "plan.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Rows naming a revision and a descendant of it along parent edges (as
 * Alembic's own stamp can leave them): Alembic refuses to move such a
 * database ("overlaps"), and the ancestor would stay a head for good.
 * Checked only with several rows: one cannot overlap itself.
 */
static int refuse_overlap(um_ctx *ctx, const size_t *heads, size_t n)
{
    size_t count = graph_count(ctx->graph);
    unsigned char *line = n > 1 ? util_calloc(count, 1) : NULL;
    int rc = n > 1 && !line ? err_nomem(&ctx->err) : UM_OK;
    for (size_t i = 0; !rc && line && i < n; i++) {
        memset(line, 0, count);
        graph_mark_parent_line(ctx->graph, heads[i], -1, line);
        for (size_t j = 0; !rc && j < n; j++)
            if (heads[j] != heads[i] && line[heads[j]])
                rc = ctx_error(ctx, UM_ESTATE, NULL, 0, graph_script(ctx->graph, heads[j])->id,
                               "the version table names both this revision and %s, which"
                               " descends from it (Alembic refuses such a state: 'overlaps');"
                               " remove the ancestor's row by setting the state anew with"
                               " 'ultramigrate stamp --purge' and the other heads (nothing was"
                               " run)",
                               graph_script(ctx->graph, heads[i])->id);
    }
    free(line);
    return rc;
}

int plan_applied_set(um_ctx *ctx, const char *const *ids, size_t n_ids, unsigned char **applied,
                     size_t **heads, size_t *n_heads)
{
    int rc = UM_OK;
    *applied = util_calloc(graph_count(ctx->graph), 1);
    *heads = util_calloc(n_ids, sizeof(**heads));
    *n_heads = 0;
    if (!*applied || !*heads) {
        rc = err_nomem(&ctx->err);
        goto done;
    }
    for (size_t i = 0; i < n_ids; i++) {
        long idx = graph_find(ctx->graph, ids[i]);
        if (idx < 0) {
            rc = ctx_error(ctx, UM_ESTATE, NULL, 0, ids[i],
                           "the database is at this revision, but no file in %s defines it"
                           " (the database is ahead of these files, or they are the wrong ones;"
                           " for a database Alembic managed, bring its revisions over with"
                           " 'ultramigrate import-alembic'; to set the state anew without it,"
                           " 'ultramigrate stamp --purge REV')",
                           ctx->versions_dir);
            goto done;
        }
        graph_mark_ancestors(ctx->graph, (size_t)idx, *applied);
        (*heads)[(*n_heads)++] = (size_t)idx;
    }
    rc = refuse_overlap(ctx, *heads, *n_heads);
done:
    if (rc) {
        free(*applied);
        free(*heads);
        *applied = NULL;
        *heads = NULL;
        *n_heads = 0;
    }
    return rc;
}

int plan_verify_checksums(um_ctx *ctx, const store_state *st)
{
    for (size_t i = 0; i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];
        long idx = graph_find(ctx->graph, a->revision);
        if (idx < 0 || !a->checksum || strcmp(a->state, "applied") != 0)
            continue;
        const script_file *s = graph_script(ctx->graph, (size_t)idx);
        if (!script_checksum_matches(s, a->checksum))
            return ctx_error(ctx, UM_ECHECKSUM, s->path, s->up_line, s->id,
                             "the up section changed after it was applied"
                             " (applied checksum %s, file now %s); nothing was run: restore"
                             " the file, or write a new revision for the change; if the edit"
                             " was intended, record it with 'ultramigrate repair --checksums'",
                             a->checksum, s->checksum);
    }
    return UM_OK;
}

/* ---- what the database holds, revision by revision ------------------ */

static bool names_applied_row(const store_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_applied; i++)
        if (strcmp(st->applied[i].revision, id) == 0)
            return true;
    return false;
}

static void note_missing(plan_counts *c, const char *id)
{
    if (c->missing++ == 0)
        c->first_missing = id;
}

/* The applied rows, over the ancestors of the version rows in @cls. */
static void classify_rows(um_ctx *ctx, const store_state *st, plan_counts *c, unsigned char *cls)
{
    for (size_t i = 0; i < st->n_applied; i++) {
        const um_applied *a = &st->applied[i];
        long idx = graph_find(ctx->graph, a->revision);
        if (store_row_unfinished(a)) {
            bool failed = strcmp(a->state, "failed") == 0;
            c->failed += failed;
            c->in_progress += !failed;
            if (!c->unfinished)
                c->unfinished = a;
            if (idx >= 0)
                cls[idx] = PLAN_UNFINISHED;
        } else if (idx >= 0) {
            cls[idx] = PLAN_APPLIED;
        } else {
            note_missing(c, a->revision);
        }
    }
}

int plan_classify(um_ctx *ctx, const store_state *st, plan_counts *out, unsigned char **classes)
{
    size_t n = graph_count(ctx->graph);
    unsigned char *cls = util_calloc(n, 1); /* PLAN_PENDING */
    memset(out, 0, sizeof(*out));
    if (classes)
        *classes = NULL;
    if (!cls)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < st->n_heads; i++) {
        long idx = graph_find(ctx->graph, st->heads[i]);
        if (idx >= 0)
            graph_mark_ancestors(ctx->graph, (size_t)idx, cls); /* 1: PLAN_APPLIED */
        else if (!names_applied_row(st, st->heads[i]))
            note_missing(out, st->heads[i]);
    }
    classify_rows(ctx, st, out, cls);
    for (size_t i = 0; i < n; i++) {
        out->applied += cls[i] == PLAN_APPLIED;
        out->pending += cls[i] == PLAN_PENDING;
    }
    if (classes)
        *classes = cls;
    else
        free(cls);
    return UM_OK;
}

int plan_refuse_unfinished(um_ctx *ctx, const store_state *st)
{
    plan_counts c;
    int rc = plan_classify(ctx, st, &c, NULL);
    if (rc || !c.unfinished)
        return rc;
    const um_applied *a = c.unfinished;
    long idx = graph_find(ctx->graph, a->revision);
    const script_file *s = idx >= 0 ? graph_script(ctx->graph, (size_t)idx) : NULL;
    size_t others = c.failed + c.in_progress - 1;
    /* its down runs while it is a version row; its up, before it is one */
    bool down = store_is_head(st, a->revision);
    return ctx_error(
        ctx, UM_ESTATE, s ? s->path : NULL, 0, a->revision,
        "%s%s part-way: its %s stopped after %d statement%s succeeded (Transactional: no:"
        " what ran stays done)%s; nothing was run.  Finish or undo the rest by hand, then"
        " record which it is: 'ultramigrate repair %s --applied' or"
        " 'ultramigrate repair %s --rolled-back'",
        s ? "" : "(its file is missing) ",
        strcmp(a->state, "failed") == 0 ? "failed" : "left in progress",
        down ? "downgrade" : "upgrade", a->statements_done, a->statements_done == 1 ? "" : "s",
        others ? " (more revisions are unfinished: see status)" : "", a->revision, a->revision);
}

/*
 * An applied revision no file defines would be run past or removed
 * without its SQL by any step: refused, as a missing version row is.
 */
static int refuse_missing(um_ctx *ctx, const store_state *st, const um_plan *plan)
{
    plan_counts c;
    int rc = plan_classify(ctx, st, &c, NULL);
    if (rc || !c.missing || (plan->n_steps == 0 && plan->direction == UM_UP))
        return rc;
    return ctx_error(ctx, UM_ESTATE, NULL, 0, c.first_missing,
                     "revision %s is applied, but no file in %s defines it%s; nothing was run:"
                     " an %s would %s it.  Restore its file, or record the state anew with"
                     " 'ultramigrate stamp --purge REV'",
                     c.first_missing, ctx->versions_dir,
                     c.missing > 1 ? " (nor some other applied revisions: see status)" : "",
                     plan->direction == UM_UP ? "upgrade" : "downgrade",
                     plan->direction == UM_UP ? "run past" : "leave or skip");
}

static int add_step(um_ctx *ctx, um_plan *plan, size_t idx, um_direction dir)
{
    const script_file *s = graph_script(ctx->graph, idx);
    um_step *st = &plan->steps[plan->n_steps];
    st->direction = dir;
    st->revision = s->id;
    st->message = s->message;
    st->path = s->path;
    st->transactional = s->transactional;
    plan->graph_index[plan->n_steps++] = idx;
    return UM_OK;
}

/*
 * Adds the revisions of @set as steps in Alembic's order: its walk down
 * from @heads (graph_order), as it comes for a downgrade, reversed for an
 * upgrade.
 */
static int add_in_order(um_ctx *ctx, um_plan *plan, const unsigned char *set, const size_t *heads,
                        size_t n_heads, um_direction dir)
{
    size_t n = graph_count(ctx->graph), n_out = 0;
    size_t *order = util_calloc(n, sizeof(*order));
    if (!order)
        return err_nomem(&ctx->err);
    int rc = graph_order(ctx->graph, set, heads, n_heads, order, &n_out, &ctx->err);
    for (size_t k = 0; !rc && k < n_out; k++)
        add_step(ctx, plan, order[dir == UM_UP ? n_out - 1 - k : k], dir);
    free(order);
    return rc;
}

/* Up to T: what T needs and is not applied, walked down from T (for
 * "heads", Alembic's real heads). */
static int plan_up(um_ctx *ctx, um_plan *plan, const graph_target *t, const unsigned char *applied,
                   unsigned char *want)
{
    size_t n = graph_count(ctx->graph);
    for (size_t i = 0; i < t->n; i++)
        graph_mark_ancestors(ctx->graph, t->revs[i], want);
    for (size_t i = 0; i < n; i++)
        want[i] = want[i] && !applied[i];
    return add_in_order(ctx, plan, want, t->revs, t->n, UM_UP);
}

/*
 * A downgrade walks down from the database's heads as Alembic's version
 * table has them: the applied revisions that no applied revision revises
 * or depends on (Alembic drops a head from its table once a revision
 * depending on it is applied).  Which revisions go does not depend on
 * them, only the order.
 */
static int add_removals(um_ctx *ctx, um_plan *plan, const unsigned char *applied,
                        const unsigned char *remove)
{
    size_t *heads = NULL, n_heads = 0;
    int rc = graph_real_heads_of(ctx->graph, applied, &heads, &n_heads)
                 ? err_nomem(&ctx->err)
                 : add_in_order(ctx, plan, remove, heads, n_heads, UM_DOWN);
    free(heads);
    return rc;
}

/*
 * As Alembic: going down to @target removes what stands on its children
 * (by Revises:) and, transitively, whatever depends on a revision that is
 * removed.  A revision that merely depends on @target stays, as @target
 * does.
 */
static void mark_above(const graph_dag *g, size_t target, unsigned char *remove)
{
    size_t n_children = 0;
    const size_t *children = graph_children(g, target, &n_children);
    for (size_t k = 0; k < n_children; k++)
        graph_mark_descendants(g, children[k], remove);
}

/*
 * As Alembic: a downgrade to an applied revision that is not a current
 * head must remove something; when nothing on the way up from it is
 * applied (it is applied only as a dependency, or the target narrowed the
 * removal to a branch that is not), the target is a mistake.
 */
static int check_removes(um_ctx *ctx, const um_plan *plan, const graph_target *t,
                         const store_state *st)
{
    for (size_t i = 0; i < t->n; i++) {
        const script_file *s = graph_script(ctx->graph, t->revs[i]);
        bool current = false;
        for (size_t k = 0; k < st->n_heads && !current; k++)
            current = strcmp(st->heads[k], s->id) == 0;
        if (!current)
            return ctx_error(ctx, UM_ETARGET, NULL, 0, s->id,
                             "'%s' is not a valid downgrade target from the current heads:"
                             " no applied revision stands on it there",
                             plan->target);
    }
    return UM_OK;
}

static int plan_down(um_ctx *ctx, um_plan *plan, const graph_target *t, const store_state *st,
                     const unsigned char *applied, unsigned char *keep)
{
    size_t n = graph_count(ctx->graph);
    unsigned char *remove = util_calloc(n, 1);
    if (!remove)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < t->n; i++) {
        graph_mark_ancestors(ctx->graph, t->revs[i], keep);
        if (!t->n_roots)
            mark_above(ctx->graph, t->revs[i], remove);
    }
    /* a target narrowed to a branch names what goes (graph.h) */
    for (size_t i = 0; i < t->n_roots; i++)
        graph_mark_descendants(ctx->graph, t->roots[i], remove);
    bool base = t->n == 0 && !t->n_roots;
    for (size_t i = 0; i < n; i++)
        remove[i] = applied[i] && !keep[i] && (base || remove[i]);
    int rc = add_removals(ctx, plan, applied, remove);
    free(remove);
    if (!rc && !plan->n_steps)
        rc = check_removes(ctx, plan, t, st);
    if (rc)
        return rc;

    for (size_t k = 0; k < plan->n_steps; k++) {
        const script_file *s = graph_script(ctx->graph, plan->graph_index[k]);
        if (!s->has_down)
            return ctx_error(ctx, UM_EIRREVERSIBLE, s->path, 0, s->id,
                             "cannot downgrade to '%s': this revision has no"
                             " '-- migrate:down' section; nothing was run",
                             plan->target);
    }
    return UM_OK;
}

void plan_free(um_plan *plan)
{
    if (!plan)
        return;
    free(plan->target);
    free(plan->steps);
    free(plan->graph_index);
    free(plan->applied);
    free(plan);
}

static um_plan *plan_alloc(size_t n, um_direction dir, const char *target)
{
    um_plan *plan = calloc(1, sizeof(*plan));
    if (!plan)
        return NULL;
    plan->direction = dir;
    plan->target = strdup(target);
    plan->steps = util_calloc(n, sizeof(*plan->steps));
    plan->graph_index = util_calloc(n, sizeof(*plan->graph_index));
    if (!plan->target || !plan->steps || !plan->graph_index) {
        plan_free(plan);
        return NULL;
    }
    return plan;
}

static bool is_current(size_t idx, const size_t *heads, size_t n_heads)
{
    for (size_t i = 0; i < n_heads; i++)
        if (heads[i] == idx)
            return true;
    return false;
}

/*
 * As Alembic: a downgrade target must be applied.  An upgrade to a
 * revision already below the database's heads does nothing (a deploy
 * that pins a revision runs it again and again); it is worth a notice.
 */
static int check_direction(um_ctx *ctx, um_direction dir, const char *target, const graph_target *t,
                           const unsigned char *applied, const size_t *heads, size_t n_heads)
{
    for (size_t i = 0; i < t->n; i++) {
        const script_file *s = graph_script(ctx->graph, t->revs[i]);
        if (dir == UM_UP && applied[t->revs[i]] && !is_current(t->revs[i], heads, n_heads))
            log_printf(&ctx->log, UM_LOG_INFO,
                       "revision %s is already applied, below the database's current head%s:"
                       " nothing to upgrade (use downgrade to go back)",
                       s->id, n_heads > 1 ? "s" : "");
        if (dir == UM_DOWN && !applied[t->revs[i]])
            return ctx_error(ctx, UM_ETARGET, NULL, 0, s->id,
                             "'%s' is not a valid downgrade target: it is not applied;"
                             " use upgrade to go forward",
                             target);
    }
    return UM_OK;
}

int plan_build(um_ctx *ctx, const store_state *st, um_direction dir, const char *target,
               um_plan **out)
{
    size_t n = graph_count(ctx->graph);
    unsigned char *applied = NULL, *marks = NULL;
    size_t *heads = NULL, n_heads = 0;
    graph_target t = GRAPH_TARGET_INIT;
    um_plan *plan = NULL;

    *out = NULL;
    int rc = plan_refuse_unfinished(ctx, st);
    if (!rc)
        rc = plan_applied_set(ctx, st->heads, st->n_heads, &applied, &heads, &n_heads);
    if (rc)
        return rc;
    rc = graph_resolve_target(ctx->graph, target, dir, heads, n_heads, &t, &ctx->err);
    if (!rc)
        rc = check_direction(ctx, dir, target, &t, applied, heads, n_heads);
    if (rc)
        goto done;
    marks = util_calloc(n, 1);
    plan = plan_alloc(n, dir, target);
    if (!marks || !plan) {
        rc = err_nomem(&ctx->err);
        goto done;
    }
    plan->ctx = ctx;
    plan->tables_exist = st->tables_exist;
    plan->adopting = !st->tables_exist && st->n_heads > 0;
    if (dir == UM_UP)
        rc = plan_up(ctx, plan, &t, applied, marks);
    else
        rc = plan_down(ctx, plan, &t, st, applied, marks);
    if (!rc)
        rc = refuse_missing(ctx, st, plan);
    if (rc)
        goto done;
    plan->applied = applied;
    applied = NULL;
    *out = plan;
    plan = NULL;
done:
    plan_free(plan);
    graph_target_free(&t);
    free(marks);
    free(applied);
    free(heads);
    return rc;
}

/* ---- public API ----------------------------------------------------- */

int um_plan_create(um_plan **out, um_ctx *ctx, um_direction direction, const char *target)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !target || (direction != UM_UP && direction != UM_DOWN))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_plan_create: out, a target and a direction are required");

    store_state st;
    int rc = store_read_state_call(ctx, &st);
    if (rc)
        return rc;
    rc = plan_verify_checksums(ctx, &st);
    if (!rc)
        rc = plan_build(ctx, &st, direction, target, out);
    store_state_free(&st);
    return rc;
}

/* The full ids of @from (ids or unique prefixes) in *ids (malloc'd; the
 * strings are the graph's). */
static int resolve_from(um_ctx *ctx, const char *const *from, size_t n_from, const char ***ids)
{
    *ids = util_calloc(n_from, sizeof(**ids));
    if (!*ids)
        return err_nomem(&ctx->err);
    for (size_t i = 0; i < n_from; i++) {
        size_t idx;
        int rc = from[i] ? graph_lookup(ctx->graph, from[i], &idx, &ctx->err)
                         : ctx_error(ctx, UM_EINVAL, NULL, 0, NULL, "from[%zu] is NULL", i);
        if (rc) {
            free(*ids);
            *ids = NULL;
            return rc;
        }
        (*ids)[i] = graph_script(ctx->graph, idx)->id;
    }
    return UM_OK;
}

int um_plan_create_from(um_plan **out, um_ctx *ctx, um_direction direction, const char *target,
                        const char *const *from, size_t n_from)
{
    if (out)
        *out = NULL;
    CTX_ENTER(ctx);
    if (!out || !target || (direction != UM_UP && direction != UM_DOWN) || (n_from && !from))
        return ctx_error(ctx, UM_EINVAL, NULL, 0, NULL,
                         "um_plan_create_from: out, a target, a direction and the"
                         " n_from revisions are required");
    /* a state as a run would read it: the version rows alone, tables
     * not known to exist (a script creates them IF NOT EXISTS) */
    store_state st = { 0 };
    int rc = resolve_from(ctx, from, n_from, &st.heads);
    st.n_heads = n_from;
    if (!rc)
        rc = plan_build(ctx, &st, direction, target, out);
    if (*out)
        (*out)->adopting = false;
    free(st.heads);
    return rc;
}

UTIL_GETTER(um_plan_step_count, um_plan, size_t, n_steps, 0)

const um_step *um_plan_step(const um_plan *plan, size_t i)
{
    if (!plan || i >= plan->n_steps)
        return NULL;
    return &plan->steps[i];
}

void um_plan_free(um_plan *plan)
{
    plan_free(plan);
}
