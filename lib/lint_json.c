/*
 * lint_json.c - see lint_json.h.  A recursive-descent parser over
 * libpg_query's output: objects, arrays, strings (with every JSON escape),
 * numbers, true, false and null.
 */
#include "lint_json.h"

#include <stdlib.h>
#include <string.h>

/* Deeper trees (an expression of thousands of terms) are not read: no rule
 * needs them, and the recursion must not exhaust a host thread's stack. */
#define MAX_DEPTH 1000

enum { LJ_NULL, LJ_FALSE, LJ_TRUE, LJ_NUMBER, LJ_STRING, LJ_ARRAY, LJ_OBJECT };

struct lj_node {
    const char *key; /* member name, NULL in an array or at the root */
    const char *str; /* LJ_STRING */
    long long num;   /* LJ_NUMBER */
    const lj_node *first, *last, *next;
    size_t count;
    unsigned char type;
};

typedef struct parser {
    char *p;
    lj_doc *doc;
    int depth;
} parser;

static void skip_space(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static lj_node *new_node(parser *ps, unsigned char type)
{
    if (ps->doc->n == ps->doc->cap)
        return NULL;
    lj_node *n = &ps->doc->nodes[ps->doc->n++];
    *n = (lj_node){ .type = type };
    return n;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        *out++ = (char)cp;
    } else if (cp < 0x800) {
        *out++ = (char)(0xC0 | (cp >> 6));
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = (char)(0xE0 | (cp >> 12));
        *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *out++ = (char)(0xF0 | (cp >> 18));
        *out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    return out;
}

/* A \uXXXX escape (@ps->p after the "u"), a surrogate pair joined; a lone
 * surrogate becomes U+FFFD.  The UTF-8 is never longer than the escape. */
static char *unicode_escape(parser *ps, char *out)
{
    int cp = hex4(ps->p);
    if (cp < 0)
        return NULL;
    ps->p += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && ps->p[0] == '\\' && ps->p[1] == 'u') {
        int lo = hex4(ps->p + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            ps->p += 6;
            return put_utf8(out, 0x10000 + (((unsigned long)cp - 0xD800) << 10) +
                                     ((unsigned long)lo - 0xDC00));
        }
    }
    return put_utf8(out, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : (unsigned long)cp);
}

/* The string at @ps->p (its opening quote), unescaped in place. */
static const char *parse_string(parser *ps)
{
    static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
    char *start = ++ps->p, *out = start;
    for (;;) {
        char c = *ps->p++;
        if (c == '"') {
            *out = '\0';
            return start;
        }
        if (c == '\0')
            return NULL;
        if (c != '\\') {
            *out++ = c;
            continue;
        }
        c = *ps->p++;
        const char *k = c ? strchr(plain, c) : NULL;
        if (k)
            *out++ = meant[k - plain];
        else if (c != 'u' || !(out = unicode_escape(ps, out)))
            return NULL;
    }
}

static const lj_node *parse_value(parser *ps);

static void append(lj_node *parent, lj_node *child)
{
    if (parent->last)
        ((lj_node *)parent->last)->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->count++;
}

/* An object or array; @close is '}' or ']'. */
static const lj_node *parse_container(parser *ps, unsigned char type, char close)
{
    lj_node *c = new_node(ps, type);
    if (!c || ++ps->depth > MAX_DEPTH)
        return NULL;
    ps->p++;
    skip_space(ps);
    while (*ps->p != close) {
        const char *key = NULL;
        if (type == LJ_OBJECT) {
            if (*ps->p != '"' || !(key = parse_string(ps)))
                return NULL;
            skip_space(ps);
            if (*ps->p++ != ':')
                return NULL;
        }
        lj_node *v = (lj_node *)parse_value(ps);
        if (!v)
            return NULL;
        v->key = key;
        append(c, v);
        skip_space(ps);
        if (*ps->p == ',')
            ps->p++, skip_space(ps);
        else if (*ps->p != close)
            return NULL;
    }
    ps->p++;
    ps->depth--;
    return c;
}

static const lj_node *parse_word(parser *ps, const char *word, unsigned char type)
{
    size_t n = strlen(word);
    if (strncmp(ps->p, word, n) != 0)
        return NULL;
    ps->p += n;
    return new_node(ps, type);
}

static const lj_node *parse_number(parser *ps)
{
    char *end;
    long long v = strtoll(ps->p, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E')
        v = (long long)strtod(ps->p, &end);
    if (end == ps->p)
        return NULL;
    ps->p = end;
    lj_node *n = new_node(ps, LJ_NUMBER);
    if (n)
        n->num = v;
    return n;
}

static const lj_node *parse_value(parser *ps)
{
    skip_space(ps);
    switch (*ps->p) {
    case '{':
        return parse_container(ps, LJ_OBJECT, '}');
    case '[':
        return parse_container(ps, LJ_ARRAY, ']');
    case '"': {
        lj_node *n = new_node(ps, LJ_STRING);
        if (n && !(n->str = parse_string(ps)))
            return NULL;
        return n;
    }
    case 't':
        return parse_word(ps, "true", LJ_TRUE);
    case 'f':
        return parse_word(ps, "false", LJ_FALSE);
    case 'n':
        return parse_word(ps, "null", LJ_NULL);
    default:
        return parse_number(ps);
    }
}

const lj_node *lj_parse(lj_doc *doc, char *text)
{
    /* Every node takes two bytes of text or more ("1," or "{}"), so the
     * array never has to move while pointers into it are handed out. */
    size_t need = strlen(text) / 2 + 2;
    if (need > doc->cap) {
        lj_node *v = realloc(doc->nodes, need * sizeof(*v));
        if (!v)
            return NULL;
        doc->nodes = v;
        doc->cap = need;
    }
    doc->n = 0;
    parser ps = { text, doc, 0 };
    const lj_node *root = parse_value(&ps);
    if (!root)
        return NULL; /* ps.p may be past the end */
    skip_space(&ps);
    return *ps.p == '\0' ? root : NULL;
}

void lj_doc_free(lj_doc *doc)
{
    free(doc->nodes);
    *doc = (lj_doc){ 0 };
}

/* ---- reading ----------------------------------------------------------- */

static bool is_container(const lj_node *n)
{
    return n && (n->type == LJ_OBJECT || n->type == LJ_ARRAY);
}

const lj_node *lj_get(const lj_node *obj, const char *key)
{
    if (!obj || obj->type != LJ_OBJECT)
        return NULL;
    for (const lj_node *c = obj->first; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *lj_key(const lj_node *n)
{
    return n ? n->key : NULL;
}

const char *lj_str(const lj_node *n)
{
    return n && n->type == LJ_STRING ? n->str : NULL;
}

long long lj_int(const lj_node *n)
{
    return n && n->type == LJ_NUMBER ? n->num : 0;
}

bool lj_is_true(const lj_node *n)
{
    return n && n->type == LJ_TRUE;
}

bool lj_is_array(const lj_node *n)
{
    return n && n->type == LJ_ARRAY;
}

const lj_node *lj_first(const lj_node *n)
{
    return is_container(n) ? n->first : NULL;
}

const lj_node *lj_next(const lj_node *n)
{
    return n ? n->next : NULL;
}

const lj_node *lj_last(const lj_node *n)
{
    return is_container(n) ? n->last : NULL;
}

const lj_node *lj_at(const lj_node *n, size_t i)
{
    const lj_node *c = lj_first(n);
    while (c && i--)
        c = c->next;
    return c;
}

size_t lj_size(const lj_node *n)
{
    return is_container(n) ? n->count : 0;
}
