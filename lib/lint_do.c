/*
 * lint_do.c - the SQL statements inside a DO block, for lint.
 *
 * A DO block runs during the migration, so an UPDATE without WHERE or an
 * ALTER TABLE inside one does what it would do outside.  (A function's
 * body is not linted: it runs when called, not when created.)
 * libpg_query parses the PL/pgSQL body with PostgreSQL's own PL/pgSQL
 * parser, which gives each statement that runs as SQL
 * (PLpgSQL_stmt_execsql) with its text and its line in the body, as JSON.
 * The text is found again from the start of that line, so that a finding
 * points into the revision file; where it cannot be (PL/pgSQL removed an
 * INTO clause from it), at the line's first token.
 *
 * Only string literals whose bytes are the body's can be mapped back:
 * dollar-quoted bodies, and single-quoted ones whose only escape is a
 * doubled quote.  An E'...' body is not linted.
 */
#include "lint_do.h"
#include "strbuf.h"

#include <jansson.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body of the literal at @lit: its text, and for each byte of it the
 * offset in the section it came from. */
typedef struct do_body {
    char *text;
    size_t *from; /* from[i]: where text[i] is in the section */
    size_t len;
} do_body;

static void body_free(do_body *b)
{
    free(b->text);
    free(b->from);
}

static int body_alloc(do_body *b, size_t len)
{
    b->text = malloc(len + 1);
    b->from = malloc((len + 1) * sizeof(*b->from));
    b->len = 0;
    return b->text && b->from ? UM_OK : UM_ENOMEM;
}

/* $tag$...$tag$ at @lit; UM_EINVAL when it is not one. */
static int dollar_body(do_body *b, const char *sql, size_t len, size_t lit)
{
    const char *open = sql + lit, *end = sql + len;
    const char *tag_end = memchr(open + 1, '$', (size_t)(end - open - 1));
    if (!tag_end)
        return UM_EINVAL;
    size_t tag_len = (size_t)(tag_end - open) + 1;
    const char *start = open + tag_len, *close = NULL;
    for (const char *p = start; p + tag_len <= end && !close; p++)
        if (memcmp(p, open, tag_len) == 0)
            close = p;
    if (!close || body_alloc(b, (size_t)(close - start)))
        return close ? UM_ENOMEM : UM_EINVAL;
    for (const char *p = start; p < close; p++) {
        b->from[b->len] = (size_t)(p - sql);
        b->text[b->len++] = *p;
    }
    b->text[b->len] = '\0';
    return UM_OK;
}

/* '...' at @lit, '' standing for one quote; UM_EINVAL when unterminated. */
static int quoted_body(do_body *b, const char *sql, size_t len, size_t lit)
{
    if (body_alloc(b, len - lit))
        return UM_ENOMEM;
    for (size_t i = lit + 1; i < len; i++) {
        if (sql[i] == '\'' && (i + 1 >= len || sql[i + 1] != '\'')) {
            b->text[b->len] = '\0';
            return UM_OK;
        }
        b->from[b->len] = i;
        b->text[b->len++] = sql[i];
        i += sql[i] == '\'';
    }
    return UM_EINVAL;
}

static int read_body(do_body *b, const char *sql, size_t len, size_t lit)
{
    memset(b, 0, sizeof(*b));
    if (lit >= len)
        return UM_EINVAL;
    if (sql[lit] == '$')
        return dollar_body(b, sql, len, lit);
    return sql[lit] == '\'' ? quoted_body(b, sql, len, lit) : UM_EINVAL;
}

/* ---- the PL/pgSQL parse ------------------------------------------------ */

/* "DO $tag$BODY$tag$" with a tag the body does not hold: PL/pgSQL numbers
 * the body's lines from 1, whatever surrounds it. */
static char *do_statement(const do_body *b)
{
    char tag[32] = "$ultramigrate$";
    for (unsigned n = 1; strstr(b->text, tag); n++)
        snprintf(tag, sizeof(tag), "$ultramigrate%u$", n);
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "DO %s%s%s", tag, b->text, tag);
    return sb_detach(&sb);
}

/* Where line @line (1-based) of @b starts. */
static size_t line_start(const do_body *b, long line)
{
    size_t i = 0;
    for (long l = 1; l < line && i < b->len; i++)
        l += b->text[i] == '\n';
    return i;
}

/* Where @query starts in @b, looked for from its line @line on; else that
 * line's first token. */
static size_t place(const do_body *b, long line, const char *query)
{
    size_t i = line_start(b, line);
    const char *hit = strstr(b->text + i, query);
    if (hit)
        return (size_t)(hit - b->text);
    while (i < b->len && (b->text[i] == ' ' || b->text[i] == '\t' || b->text[i] == '\n'))
        i++;
    return i < b->len ? i : 0;
}

typedef struct do_walk {
    const do_body *body;
    lint_do_each_fn each;
    void *payload;
} do_walk;

static void visit(const do_walk *w, json_t *v);

static void visit_execsql(const do_walk *w, json_t *stmt)
{
    json_t *expr = json_object_get(json_object_get(stmt, "sqlstmt"), "PLpgSQL_expr");
    const char *query = json_string_value(json_object_get(expr, "query"));
    json_int_t line = json_integer_value(json_object_get(stmt, "lineno"));
    if (!query || !w->body->len)
        return;
    w->each(query, w->body->from[place(w->body, (long)line, query)], w->payload);
}

/* Every PLpgSQL_stmt_execsql under @v, in the order of the body (the
 * parser's JSON keeps each block's statements in order). */
static void visit(const do_walk *w, json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) visit(w, item);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *key;
    json_t *child;
    json_object_foreach(v, key, child)
    {
        if (strcmp(key, "PLpgSQL_stmt_execsql") == 0)
            visit_execsql(w, child);
        else
            visit(w, child);
    }
}

int lint_do_each(const char *sql, size_t len, size_t literal, lint_do_each_fn each, void *payload)
{
    do_body body;
    int rc = read_body(&body, sql, len, literal);
    if (rc) {
        body_free(&body);
        return rc == UM_ENOMEM ? rc : UM_OK; /* not a body we can map: not linted */
    }
    char *text = do_statement(&body);
    if (!text) {
        body_free(&body);
        return UM_ENOMEM;
    }
    PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(text);
    json_t *tree = r.error ? NULL : json_loads(r.plpgsql_funcs, 0, NULL);
    /* a body PL/pgSQL rejects fails when it runs; the run says where */
    do_walk w = { &body, each, payload };
    visit(&w, tree);
    json_decref(tree);
    pg_query_free_plpgsql_parse_result(r);
    free(text);
    body_free(&body);
    return UM_OK;
}
