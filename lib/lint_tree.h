/*
 * lint_tree.h - one statement's parse tree as libpg_query's typed C
 * structs (the protobuf-c messages of <pg_query/pg_query.pb-c.h>), and a
 * walk over every message of a tree.
 *
 * libpg_query serialises PostgreSQL's tree with protobuf; protobuf-c, which
 * libpg_query bundles and exports, unpacks it into one struct per node.  The
 * structs are allocated from an arena that a run reuses from statement to
 * statement (a tree is freed by lint_tree_clear(), all at once).
 *
 * protobuf-c unpacks recursively with about 1 kB of stack per level and no
 * limit of its own: an expression of a few thousand terms ("1+1+...")
 * would overflow the stack of the process that lints it.  The arena refuses
 * to allocate once the unpacking went LINT_TREE_STACK_BUDGET bytes down the
 * stack, which ends the unpacking cleanly; such a statement is not linted.
 */
#ifndef LIB_LINT_TREE_H
#define LIB_LINT_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

/* How far down the stack unpacking one tree may go: about 1,000 nested
 * nodes; the JSON reader this replaced stopped at 1,000 nested values. */
#define LINT_TREE_STACK_BUDGET (1024 * 1024)

typedef struct lint_tree lint_tree;

/* NULL on out of memory. */
lint_tree *lint_tree_new(void);
void lint_tree_free(lint_tree *t);

/*
 * Unpacks @len bytes of libpg_query's protobuf parse result into @t and
 * sets *@stmt to its first statement's node; NULL when the tree nests
 * deeper than the stack budget, or holds no statement.  UM_ENOMEM.
 */
int lint_tree_unpack(lint_tree *t, const void *data, size_t len, const PgQuery__Node **stmt);

/* Frees the unpacked tree (the arena keeps its first block). */
void lint_tree_clear(lint_tree *t);

/* What a visitor asks of the walk after seeing a message. */
typedef enum lint_walk {
    LINT_WALK_INTO, /* go on into the message's children */
    LINT_WALK_OVER, /* skip its children, go on with the next message */
    LINT_WALK_STOP  /* end the walk */
} lint_walk;

typedef lint_walk (*lint_tree_visit)(const ProtobufCMessage *m, void *payload);

/*
 * Calls @visit on @m and on every message below it, parents first, in the
 * order of the fields' numbers (the order of PostgreSQL's structs).  The
 * walk reads the messages' descriptors, so it knows every node type
 * without a list of them.  NULL @m: nothing.  Returns false when a visitor
 * stopped the walk.
 */
bool lint_tree_walk(const ProtobufCMessage *m, lint_tree_visit visit, void *payload);

/*
 * Where the commands of an ALTER TABLE statement start in its text @text
 * (@len bytes), which the tree does not record: command 0 at the first
 * token after the table's name (which starts at @rel_location), command i
 * after the i-th comma outside parentheses.  Fills @starts[0..n) with
 * offsets in @text, -1 where a command was not found (the text does not
 * scan).  UM_OK or UM_ENOMEM.
 */
int lint_tree_alter_commands(const char *text, size_t len, int rel_location, int *starts, size_t n);

#endif
