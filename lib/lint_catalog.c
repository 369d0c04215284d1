/*
 * lint_catalog.c - see lint_catalog.h.
 *
 * Tables and indexes go in a hash map (a migration set may create
 * thousands, and every statement asks about one); views and constraints
 * are few and live in arrays searched linearly.
 */
#include "lint_catalog.h"
#include "lint.h"
#include "strbuf.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- a string map ------------------------------------------------------ */

typedef struct map_slot {
    char *key; /* NULL: empty */
    int value;
} map_slot;

typedef struct name_map {
    map_slot *slots;
    size_t mask, used; /* capacity - 1 (a power of two), keys stored */
} name_map;

static size_t map_probe(const name_map *m, const char *key)
{
    size_t i = (size_t)util_hash(key, strlen(key)) & m->mask;
    while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
        i = (i + 1) & m->mask;
    return i;
}

/* Doubles the map, keeping the load factor under 1/2. */
static bool map_grow(name_map *m)
{
    size_t cap = m->slots ? 2 * (m->mask + 1) : 64;
    name_map bigger = { calloc(cap, sizeof(map_slot)), cap - 1, m->used };
    if (!bigger.slots)
        return false;
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        if (m->slots[i].key)
            bigger.slots[map_probe(&bigger, m->slots[i].key)] = m->slots[i];
    free(m->slots);
    *m = bigger;
    return true;
}

/* Sets @key to @value; false on out of memory. */
static bool map_set(name_map *m, const char *key, int value)
{
    if ((!m->slots || 2 * (m->used + 1) > m->mask + 1) && !map_grow(m))
        return false;
    map_slot *s = &m->slots[map_probe(m, key)];
    if (!s->key) {
        if (!(s->key = strdup(key)))
            return false;
        m->used++;
    }
    s->value = value;
    return true;
}

/* The value of @key, or -1. */
static int map_get(const name_map *m, const char *key)
{
    if (!m->slots)
        return -1;
    const map_slot *s = &m->slots[map_probe(m, key)];
    return s->key ? s->value : -1;
}

static void map_free(name_map *m)
{
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        free(m->slots[i].key);
    free(m->slots);
}

/* ---- string lists ------------------------------------------------------ */

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static bool list_has(const name_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

static bool list_add(name_list *l, const char *s)
{
    if (list_has(l, s))
        return true;
    char **v = util_grow(l->v, l->n, &l->cap, sizeof(*v));
    if (!v)
        return false;
    l->v = v;
    return (l->v[l->n] = strdup(s)) ? (l->n++, true) : false;
}

static void list_free(name_list *l)
{
    util_free_strings(l->v, l->n);
    *l = (name_list){ 0 };
}

/* ---- the catalog ------------------------------------------------------- */

typedef struct view {
    char *key;
    char *name; /* as written, for messages */
    name_list tables;
    name_list columns; /* "*" for a star */
} view;

typedef struct constraint {
    char *table; /* key */
    char *name;
    char *not_null_column; /* CHECK (col IS NOT NULL), else NULL */
    bool validated;
    unsigned not_valid_serial; /* file that added it NOT VALID, 0: none */
} constraint;

struct lint_catalog {
    name_map tables;  /* value 1 */
    name_map indexes; /* value: a lint_index_state */
    view *views;
    size_t n_views, cap_views;
    view *recording; /* the view lint_catalog_begin_view started */
    constraint *constraints;
    size_t n_constraints, cap_constraints;
    strbuf key; /* scratch for keys */
    bool failed;
};

lint_catalog *lint_catalog_new(void)
{
    return calloc(1, sizeof(lint_catalog));
}

static void view_clear(view *v)
{
    free(v->key);
    free(v->name);
    list_free(&v->tables);
    list_free(&v->columns);
}

void lint_catalog_free(lint_catalog *c)
{
    if (!c)
        return;
    map_free(&c->tables);
    map_free(&c->indexes);
    for (size_t i = 0; i < c->n_views; i++)
        view_clear(&c->views[i]);
    free(c->views);
    for (size_t i = 0; i < c->n_constraints; i++) {
        free(c->constraints[i].table);
        free(c->constraints[i].name);
        free(c->constraints[i].not_null_column);
    }
    free(c->constraints);
    sb_free(&c->key);
    free(c);
}

bool lint_catalog_failed(const lint_catalog *c)
{
    return c->failed || sb_failed(&c->key);
}

/* "schema.name" in the scratch buffer, valid until the next call. */
static const char *key_of(lint_catalog *c, const char *schema, const char *name)
{
    sb_reset(&c->key);
    sb_printf(&c->key, "%s.%s", schema ? schema : "public", name ? name : "");
    const char *k = sb_str(&c->key);
    return k ? k : "";
}

static void note(lint_catalog *c, bool ok)
{
    c->failed |= !ok;
}

void lint_catalog_add_table(lint_catalog *c, const char *schema, const char *name)
{
    note(c, map_set(&c->tables, key_of(c, schema, name), 1));
}

bool lint_catalog_is_new_table(lint_catalog *c, const char *schema, const char *name)
{
    return map_get(&c->tables, key_of(c, schema, name)) > 0;
}

void lint_catalog_add_index(lint_catalog *c, const char *schema, const char *name, bool on_new)
{
    lint_index_state st = on_new ? LINT_INDEX_ON_NEW : LINT_INDEX_ON_EXISTING;
    note(c, map_set(&c->indexes, key_of(c, schema, name), (int)st));
}

lint_index_state lint_catalog_index(lint_catalog *c, const char *schema, const char *name)
{
    int v = map_get(&c->indexes, key_of(c, schema, name));
    return v < 0 ? LINT_INDEX_UNKNOWN : (lint_index_state)v;
}

/* ---- views ------------------------------------------------------------- */

static view *find_view(const lint_catalog *c, const char *key)
{
    for (size_t i = 0; i < c->n_views; i++)
        if (strcmp(c->views[i].key, key) == 0)
            return &c->views[i];
    return NULL;
}

static view *new_view(lint_catalog *c, const char *key, const char *name)
{
    view *views = util_grow(c->views, c->n_views, &c->cap_views, sizeof(*views));
    if (!views)
        return NULL;
    c->views = views;
    view *v = &c->views[c->n_views];
    *v = (view){ strdup(key), strdup(name), { 0 }, { 0 } };
    if (!v->key || !v->name) {
        view_clear(v);
        return NULL;
    }
    c->n_views++;
    return v;
}

void lint_catalog_begin_view(lint_catalog *c, const char *schema, const char *name)
{
    const char *key = key_of(c, schema, name);
    view *v = find_view(c, key);
    if (v) {
        list_free(&v->tables);
        list_free(&v->columns);
    } else {
        v = new_view(c, key, schema ? key : name);
        note(c, v != NULL);
    }
    c->recording = v;
}

void lint_catalog_view_reads_table(lint_catalog *c, const char *schema, const char *name)
{
    if (c->recording)
        note(c, list_add(&c->recording->tables, key_of(c, schema, name)));
}

void lint_catalog_view_reads_column(lint_catalog *c, const char *column)
{
    if (c->recording)
        note(c, list_add(&c->recording->columns, column));
}

void lint_catalog_drop_view(lint_catalog *c, const char *schema, const char *name)
{
    view *v = find_view(c, key_of(c, schema, name));
    if (!v)
        return;
    view_clear(v);
    *v = c->views[--c->n_views];
    c->recording = NULL;
}

const char *lint_catalog_view_using(lint_catalog *c, const char *schema, const char *table,
                                    const char *column)
{
    const char *key = key_of(c, schema, table);
    for (size_t i = 0; i < c->n_views; i++) {
        const view *v = &c->views[i];
        if (list_has(&v->tables, key) &&
            (list_has(&v->columns, column) || list_has(&v->columns, "*")))
            return v->name;
    }
    return NULL;
}

/* ---- constraints ------------------------------------------------------- */

static constraint *find_constraint(const lint_catalog *c, const char *table, const char *name)
{
    for (size_t i = 0; i < c->n_constraints; i++)
        if (strcmp(c->constraints[i].table, table) == 0 &&
            strcmp(c->constraints[i].name, name) == 0)
            return &c->constraints[i];
    return NULL;
}

static bool grow_constraints(lint_catalog *c)
{
    constraint *v = util_grow(c->constraints, c->n_constraints, &c->cap_constraints, sizeof(*v));
    if (v)
        c->constraints = v;
    return v != NULL;
}

void lint_catalog_add_constraint(lint_catalog *c, const char *schema, const char *table,
                                 const char *name, const char *not_null_column, bool validated,
                                 unsigned serial)
{
    /* An unnamed constraint can never be named by VALIDATE CONSTRAINT. */
    if (!name)
        return;
    if (!grow_constraints(c)) {
        note(c, false);
        return;
    }
    constraint k = {
        .table = strdup(key_of(c, schema, table)),
        .name = strdup(name),
        .not_null_column = util_strdup_null(not_null_column),
        .validated = validated,
        .not_valid_serial = validated ? 0 : serial,
    };
    if (!k.table || !k.name || (not_null_column && !k.not_null_column)) {
        free(k.table);
        free(k.name);
        free(k.not_null_column);
        note(c, false);
        return;
    }
    c->constraints[c->n_constraints++] = k;
}

unsigned lint_catalog_validate(lint_catalog *c, const char *schema, const char *table,
                               const char *name)
{
    constraint *k = find_constraint(c, key_of(c, schema, table), name);
    if (!k)
        return 0;
    k->validated = true;
    return k->not_valid_serial;
}

bool lint_catalog_has_not_null_check(lint_catalog *c, const char *schema, const char *table,
                                     const char *column)
{
    const char *key = key_of(c, schema, table);
    for (size_t i = 0; i < c->n_constraints; i++) {
        const constraint *k = &c->constraints[i];
        if (k->validated && k->not_null_column && strcmp(k->not_null_column, column) == 0 &&
            strcmp(k->table, key) == 0)
            return true;
    }
    return false;
}
