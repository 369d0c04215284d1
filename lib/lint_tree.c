/*
 * lint_tree.c - statement trees unpacked into an arena, and the walk over
 * them by protobuf-c's reflection (message and field descriptors).
 */
#include "lint_tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include <ultramigrate/ultramigrate.h>

/* Most statements' trees fit in the first block; it is kept between them. */
#define BLOCK_SIZE (64 * 1024)
#define ALIGNMENT  _Alignof(max_align_t)

typedef struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[];
} block;

struct lint_tree {
    ProtobufCAllocator allocator; /* protobuf-c's view of the arena */
    block *first, *current;
    uintptr_t stack_top; /* the unpacking caller's frame */
    bool too_deep;       /* the unpacking went past the stack budget */
    bool failed;         /* an allocation failed */
};

static block *block_new(size_t size)
{
    block *b = malloc(sizeof(*b) + size);
    if (b)
        *b = (block){ NULL, size, 0 };
    return b;
}

/*
 * protobuf-c calls this at the start of every message it unpacks, from the
 * recursive call that unpacks it: how far down the stack that call is tells
 * how deep the tree goes.  __builtin_frame_address, not the address of a
 * local, which AddressSanitizer may move off the stack.
 */
static void *arena_alloc(void *data, size_t size)
{
    lint_tree *t = data;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    size_t depth = here < t->stack_top ? t->stack_top - here : here - t->stack_top;
    if (depth > LINT_TREE_STACK_BUDGET) {
        t->too_deep = true;
        return NULL;
    }
    size = (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    block *b = t->current;
    if (size > b->size - b->used) {
        if (!(b = block_new(size > BLOCK_SIZE ? size : BLOCK_SIZE))) {
            t->failed = true;
            return NULL;
        }
        t->current->next = b;
        t->current = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

/* A tree is freed all at once, by lint_tree_clear(). */
static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

lint_tree *lint_tree_new(void)
{
    lint_tree *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (!(t->first = block_new(BLOCK_SIZE))) {
        free(t);
        return NULL;
    }
    t->allocator = (ProtobufCAllocator){ arena_alloc, arena_free, t };
    t->current = t->first;
    return t;
}

void lint_tree_clear(lint_tree *t)
{
    for (block *b = t->first->next, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    t->first->next = NULL;
    t->first->used = 0;
    t->current = t->first;
}

void lint_tree_free(lint_tree *t)
{
    if (!t)
        return;
    lint_tree_clear(t);
    free(t->first);
    free(t);
}

int lint_tree_unpack(lint_tree *t, const void *data, size_t len, const PgQuery__Node **stmt)
{
    *stmt = NULL;
    t->too_deep = t->failed = false;
    t->stack_top = (uintptr_t)__builtin_frame_address(0);
    PgQuery__ParseResult *r = pg_query__parse_result__unpack(&t->allocator, len, data);
    if (t->failed)
        return UM_ENOMEM;
    if (r && r->n_stmts > 0 && r->stmts[0])
        *stmt = r->stmts[0]->stmt;
    return UM_OK;
}

/* ---- the walk ---------------------------------------------------------- */

/* Walks what field @fd of the message at @m holds, if it holds messages. */
static bool walk_field(const ProtobufCFieldDescriptor *fd, const char *m, lint_tree_visit visit,
                       void *payload)
{
    if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
        return true;
    if (fd->label != PROTOBUF_C_LABEL_REPEATED)
        return lint_tree_walk(*(ProtobufCMessage *const *)(m + fd->offset), visit, payload);
    size_t n = *(const size_t *)(m + fd->quantifier_offset);
    ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(m + fd->offset);
    for (size_t i = 0; i < n; i++)
        if (!lint_tree_walk(v[i], visit, payload))
            return false;
    return true;
}

/*
 * The members of a oneof (a Node's ~250 node types) share one pointer and
 * one case number: the member set is found by its number rather than by
 * trying each.  Returns the index of the first field after the oneof's run
 * of members that starts at @i; *@ok is false when the walk was stopped.
 */
static unsigned walk_oneof(const ProtobufCMessageDescriptor *d, unsigned i, const char *m,
                           lint_tree_visit visit, void *payload, bool *ok)
{
    const ProtobufCFieldDescriptor *fd = &d->fields[i];
    unsigned end = i + 1;
    while (end < d->n_fields && (d->fields[end].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
           d->fields[end].quantifier_offset == fd->quantifier_offset)
        end++;
    uint32_t set = *(const uint32_t *)(m + fd->quantifier_offset);
    const ProtobufCFieldDescriptor *member =
        set ? protobuf_c_message_descriptor_get_field(d, set) : NULL;
    /* A member outside this run belongs to a run of its own. */
    if (member && member >= fd && member < d->fields + end)
        *ok = walk_field(member, m, visit, payload);
    return end;
}

bool lint_tree_walk(const ProtobufCMessage *m, lint_tree_visit visit, void *payload)
{
    if (!m)
        return true;
    lint_walk step = visit(m, payload);
    if (step != LINT_WALK_INTO)
        return step == LINT_WALK_OVER;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    bool ok = true;
    for (unsigned i = 0; ok && i < d->n_fields;) {
        if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            i = walk_oneof(d, i, base, visit, payload, &ok);
        else
            ok = walk_field(&d->fields[i++], base, visit, payload);
    }
    return ok;
}

/* ---- ALTER TABLE commands ------------------------------------------------ */

/* The token after the qualified name whose first token is tokens[i]
 * (name, then ".name" pairs, then an inheritance "*"). */
static size_t after_name(PgQuery__ScanToken *const *tokens, size_t n, size_t i)
{
    i++;
    while (i + 1 < n && tokens[i]->token == PG_QUERY__TOKEN__ASCII_46)
        i += 2;
    if (i < n && tokens[i]->token == PG_QUERY__TOKEN__ASCII_42)
        i++;
    return i;
}

static void find_commands(const PgQuery__ScanResult *scan, int rel_location, int *starts, size_t n)
{
    PgQuery__ScanToken *const *tokens = scan->tokens;
    size_t i = 0, found = 0;
    int depth = 0;
    while (i < scan->n_tokens && tokens[i]->start < rel_location)
        i++;
    if (i >= scan->n_tokens)
        return;
    i = after_name(tokens, scan->n_tokens, i);
    if (i < scan->n_tokens && found < n)
        starts[found++] = tokens[i]->start;
    for (; i < scan->n_tokens && found < n; i++) {
        PgQuery__Token t = tokens[i]->token;
        depth += (t == PG_QUERY__TOKEN__ASCII_40) - (t == PG_QUERY__TOKEN__ASCII_41);
        if (t == PG_QUERY__TOKEN__ASCII_44 && depth == 0 && i + 1 < scan->n_tokens)
            starts[found++] = tokens[i + 1]->start;
    }
}

int lint_tree_alter_commands(const char *text, size_t len, int rel_location, int *starts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        starts[i] = -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return UM_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    PgQueryScanResult r = pg_query_scan(copy);
    PgQuery__ScanResult *scan =
        r.error ? NULL
                : pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
    if (scan) {
        find_commands(scan, rel_location, starts, n);
        pg_query__scan_result__free_unpacked(scan, NULL);
    }
    pg_query_free_scan_result(r);
    free(copy);
    return UM_OK;
}
