/*
 * lint_json.h - a read-only view of the JSON parse tree libpg_query prints.
 *
 * Why not Jansson: building each statement's tree as Jansson objects (a
 * hash table and a copied key per member) and freeing it again took two
 * thirds of lint's time, more than PostgreSQL's parser itself.  The rules
 * only read the tree, once, so it is parsed in place instead: strings are
 * unescaped and NUL-terminated inside libpg_query's buffer, and the nodes
 * live in one array that a run reuses from statement to statement.
 * Jansson still writes the JSON that lint hands out (um_lint_to_json).
 *
 * Every accessor accepts NULL and then returns NULL, 0 or false, so a
 * check can follow a path through the tree without testing each step.
 */
#ifndef LIB_LINT_JSON_H
#define LIB_LINT_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lj_node lj_node;

/* The nodes of one parsed document; reused across lj_parse() calls. */
typedef struct lj_doc {
    lj_node *nodes;
    size_t n, cap;
} lj_doc;

/*
 * Parses the JSON text @text (NUL-terminated, modified in place and then
 * pointed into by the nodes) into @doc.  Returns the root, or NULL when the
 * text is not JSON, nests deeper than the parser follows, or memory ran
 * out.
 */
const lj_node *lj_parse(lj_doc *doc, char *text);

void lj_doc_free(lj_doc *doc);

/* The member @key of object @obj, or NULL. */
const lj_node *lj_get(const lj_node *obj, const char *key);

/* A member's name (NULL for an array element). */
const char *lj_key(const lj_node *n);

/* The value of a string node (NULL for any other node). */
const char *lj_str(const lj_node *n);

/* The value of a number node, truncated to an integer (0 for others). */
long long lj_int(const lj_node *n);

bool lj_is_true(const lj_node *n);
bool lj_is_array(const lj_node *n);

/* Children of an object or array, in order: the first, the next, the
 * last, the @i-th, and how many. */
const lj_node *lj_first(const lj_node *n);
const lj_node *lj_next(const lj_node *n);
const lj_node *lj_last(const lj_node *n);
const lj_node *lj_at(const lj_node *n, size_t i);
size_t lj_size(const lj_node *n);

#endif
