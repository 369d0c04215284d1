/*
 * txblock.c - transaction control and statements refused in a transaction
 * block, found in a section with libpg_query (txblock.h).
 */
#include "txblock.h"
#include "lint_tree.h"
#include "pg.h"
#include "util.h"
#include "verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>

#define TEXT_MAX 60

typedef struct scan {
    char *sql; /* a copy: a NUL is put after each statement while it parses */
    size_t len;
    size_t line_off; /* lines are counted from here ... */
    int line;        /* ... which is at this line */
    lint_tree *tree;
    txblock_cb cb;
    void *payload;
    const um_ctx *cancel;
    bool stopped;
} scan;

/* ---- positions ---------------------------------------------------------- */

/* Past blanks and comments from @i, to the statement's first token. */
static size_t first_token(const char *s, size_t i, size_t end)
{
    while (i < end) {
        if (isspace((unsigned char)s[i])) {
            i++;
        } else if (s[i] == '-' && i + 1 < end && s[i + 1] == '-') {
            const char *nl = memchr(s + i, '\n', end - i);
            i = nl ? (size_t)(nl - s) : end;
        } else if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
            i = util_skip_block_comment(s, i, end);
        } else {
            break;
        }
    }
    return i;
}

/* The file line of byte @off; offsets only grow during a scan. */
static int line_at(scan *sc, size_t off)
{
    for (; sc->line_off < off && sc->line_off < sc->len; sc->line_off++)
        sc->line += sc->sql[sc->line_off] == '\n';
    return sc->line;
}

/* Byte offset of 1-based character @pos (libpg_query counts characters). */
static size_t char_offset(const char *s, size_t len, int pos)
{
    int chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == pos)
            return i;
    return len;
}

/* ---- which statements ---------------------------------------------------- */

/* Whether the lowercase @word occurs in the @len bytes at @s, in any case:
 * within the statement, so that a section costs time linear in its size
 * (strcasestr would read on to the end of the section at each statement). */
static bool has_word(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (tolower((unsigned char)s[i]) == word[0] && strncasecmp(s + i, word, n) == 0)
            return true;
    return false;
}

/*
 * Whether the statement at @s, of @len bytes, calls pg_advisory_unlock_all(),
 * which lets go of the engine's advisory lock (other runs then start
 * while this one applies).  By its text, so that a call in a DO block or
 * a function the revision runs is found too.
 */
static bool unlocks_all(const char *s, size_t len)
{
    static const char name[] = "pg_advisory_unlock_all";
    const size_t n = sizeof(name) - 1;
    for (size_t i = 0; i + n <= len; i++) {
        if (tolower((unsigned char)s[i]) != 'p' || strncasecmp(s + i, name, n) != 0 ||
            (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')))
            continue;
        size_t j = i + n;
        while (j < len && isspace((unsigned char)s[j]))
            j++;
        if (j < len && s[j] == '(')
            return true;
    }
    return false;
}

/* Whether the statement at @s, of @len bytes, could be one of ours: its
 * first word, or a word that the others need (a cheap test; the tree
 * decides). */
static bool candidate(const char *s, size_t len)
{
    static const char *const first[] = { "begin",   "start",      "commit", "end",     "rollback",
                                         "abort",   "prepare",    "vacuum", "reindex", "cluster",
                                         "discard", "deallocate", "set",    "reset" };
    static const char *const inside[] = { "concurrently", "database", "system", "tablespace",
                                          "set_config" };
    size_t n = 0;
    while (n < len && isalpha((unsigned char)s[n]))
        n++;
    for (size_t i = 0; i < sizeof(first) / sizeof(*first); i++)
        if (strlen(first[i]) == n && strncasecmp(s, first[i], n) == 0)
            return true;
    for (size_t i = 0; i < sizeof(inside) / sizeof(*inside); i++)
        if (has_word(s, len, inside[i]))
            return true;
    return false;
}

const char *txblock_transaction_word(PgQuery__TransactionStmtKind kind)
{
    switch (kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        return "BEGIN";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
        return "START TRANSACTION";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
        return "COMMIT";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        return "ROLLBACK";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
        return "PREPARE TRANSACTION";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
        return "COMMIT PREPARED";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
        return "ROLLBACK PREPARED";
    default: /* SAVEPOINT, RELEASE, ROLLBACK TO: they stay inside it */
        return NULL;
    }
}

static bool has_option(PgQuery__Node *const *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            strcmp(v[i]->def_elem->defname, name) == 0)
            return true;
    return false;
}

static const char *alter_table_word(const PgQuery__AlterTableStmt *n)
{
    for (size_t i = 0; i < n->n_cmds; i++) {
        const PgQuery__Node *c = n->cmds[i];
        const PgQuery__AlterTableCmd *cmd =
            c->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ? c->alter_table_cmd : NULL;
        if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
            cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
            cmd->def->partition_cmd->concurrent)
            return "DETACH PARTITION CONCURRENTLY";
    }
    return NULL;
}

static const char *reindex_word(const PgQuery__ReindexStmt *n)
{
    if (has_option(n->params, n->n_params, "concurrently"))
        return "REINDEX CONCURRENTLY";
    if (n->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE)
        return "REINDEX DATABASE";
    if (n->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM)
        return "REINDEX SYSTEM";
    return NULL;
}

/* What PostgreSQL refuses to run inside a transaction block (the callers
 * of PreventInTransactionBlock), or NULL. */
static const char *refused_word(const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        return n->vacuum_stmt->is_vacuumcmd ? "VACUUM" : NULL;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        return n->index_stmt->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return n->drop_stmt->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        return reindex_word(n->reindex_stmt);
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        return alter_table_word(n->alter_table_stmt);
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
        return "ALTER SYSTEM";
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
        return "CREATE DATABASE";
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
        return "DROP DATABASE";
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
        return "CREATE TABLESPACE";
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
        return "DROP TABLESPACE";
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
        return n->cluster_stmt->relation ? NULL : "CLUSTER (of every table)";
    default:
        return NULL;
    }
}

/* What resets the session's state, or NULL. */
static const char *session_word(const PgQuery__Node *n)
{
    if (n->node_case == PG_QUERY__NODE__NODE_DEALLOCATE_STMT)
        return n->deallocate_stmt->name && *n->deallocate_stmt->name ? "DEALLOCATE"
                                                                     : "DEALLOCATE ALL";
    if (n->node_case != PG_QUERY__NODE__NODE_DISCARD_STMT)
        return NULL;
    switch (n->discard_stmt->target) {
    case PG_QUERY__DISCARD_MODE__DISCARD_ALL:
        return "DISCARD ALL";
    case PG_QUERY__DISCARD_MODE__DISCARD_PLANS:
        return "DISCARD PLANS";
    case PG_QUERY__DISCARD_MODE__DISCARD_SEQUENCES:
        return "DISCARD SEQUENCES";
    default:
        return "DISCARD TEMP";
    }
}

/* Whether a change of setting @name is followed: not transaction_isolation,
 * _read_only and _deferrable, which end with the transaction (and cannot
 * be set back inside it). */
static bool followed(const char *name)
{
    return name && *name && strncmp(name, "transaction_", 12) != 0;
}

/* The session setting a SET or RESET that is not LOCAL changes, or NULL.
 * RESET ALL and SET SESSION CHARACTERISTICS are not followed (txblock.h). */
static const char *setting_name(const PgQuery__Node *n)
{
    if (n->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
        return NULL;
    const PgQuery__VariableSetStmt *v = n->variable_set_stmt;
    if (v->is_local || !followed(v->name))
        return NULL;
    switch (v->kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_CURRENT:
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
        return v->name;
    default:
        return NULL;
    }
}

static const PgQuery__AConst *a_const(const PgQuery__Node *n)
{
    return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST ? n->a_const : NULL;
}

/* Whether constant @c is false, as a boolean or as the text of one. */
static bool const_false(const PgQuery__AConst *c)
{
    static const char *const words[] = { "false", "f", "off", "no", "n", "0" };
    if (c->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
        return !c->boolval->boolval;
    for (size_t i = 0; c->val_case == PG_QUERY__A__CONST__VAL_SVAL && i < 6; i++)
        if (strcasecmp(c->sval->sval, words[i]) == 0)
            return true;
    return false;
}

/* The setting the output column @t changes for the session when it is a
 * call set_config('name', value, false), or NULL: a call whose name or
 * is_local is not a constant is not followed, nor is one inside an
 * expression, a DO block or a function. */
static const char *set_config_name(const PgQuery__Node *t)
{
    const PgQuery__Node *v =
        t->node_case == PG_QUERY__NODE__NODE_RES_TARGET ? t->res_target->val : NULL;
    const PgQuery__FuncCall *f =
        v && v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL ? v->func_call : NULL;
    if (!f || f->n_args != 3 || !f->n_funcname)
        return NULL;
    const PgQuery__Node *fn = f->funcname[f->n_funcname - 1];
    if (fn->node_case != PG_QUERY__NODE__NODE_STRING || strcmp(fn->string->sval, "set_config"))
        return NULL;
    const PgQuery__AConst *name = a_const(f->args[0]), *local = a_const(f->args[2]);
    if (!name || name->val_case != PG_QUERY__A__CONST__VAL_SVAL || !local || !const_false(local))
        return NULL;
    return followed(name->sval->sval) ? name->sval->sval : NULL;
}

/* ---- the scan ------------------------------------------------------------ */

static void report(scan *sc, txblock_kind kind, const char *what, size_t at, bool unterminated)
{
    char text[TEXT_MAX + 1];
    size_t n = 0;
    while (at + n < sc->len && n < TEXT_MAX && sc->sql[at + n] != '\n' && sc->sql[at + n] != '\r')
        n++;
    /* not in the middle of a UTF-8 character */
    while (n > 0 && at + n < sc->len && ((unsigned char)sc->sql[at + n] & 0xC0) == 0x80)
        n--;
    memcpy(text, sc->sql + at, n);
    text[n] = '\0';
    txblock_hit hit = { kind, what, text, line_at(sc, at), unterminated };
    sc->stopped = !sc->cb(&hit, sc->payload);
}

/* Each setting "SELECT set_config(...), ..." changes, as if SET. */
static void report_set_configs(scan *sc, const PgQuery__SelectStmt *sel, size_t first)
{
    for (size_t i = 0; !sc->stopped && i < sel->n_target_list; i++) {
        const char *name = set_config_name(sel->target_list[i]);
        if (name)
            report(sc, TXBLOCK_SETTING, name, first, false);
    }
}

/* Classifies the statement [start, end), whose first token is at @first. */
static int statement(scan *sc, size_t start, size_t end, size_t first)
{
    if (first < end && unlocks_all(sc->sql + first, end - first)) {
        report(sc, TXBLOCK_SESSION, "pg_advisory_unlock_all()", first, false);
        return UM_OK;
    }
    if (first >= end || !candidate(sc->sql + first, end - first))
        return UM_OK;
    char saved = sc->sql[end];
    sc->sql[end] = '\0';
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sc->sql + start);
    sc->sql[end] = saved;
    const PgQuery__Node *n = NULL;
    int rc = r.error ? UM_OK : lint_tree_unpack(sc->tree, r.parse_tree.data, r.parse_tree.len, &n);
    pg_query_free_protobuf_parse_result(r);
    const char *word = NULL;
    if (n && n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT)
        word = txblock_transaction_word(n->transaction_stmt->kind);
    if (word)
        report(sc, TXBLOCK_CONTROL, word, first, false);
    else if (n && (word = session_word(n)))
        report(sc, TXBLOCK_SESSION, word, first, false);
    else if (n && (word = refused_word(n)))
        report(sc, TXBLOCK_NOT_IN_BLOCK, word, first, false);
    else if (n && (word = setting_name(n)))
        report(sc, TXBLOCK_SETTING, word, first, false);
    else if (n && n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT)
        report_set_configs(sc, n->select_stmt, first);
    lint_tree_clear(sc->tree);
    return rc;
}

static int scan_statements(scan *sc)
{
    PgQuerySplitResult sp = pg_query_split_with_parser(sc->sql);
    int rc = UM_OK;
    if (sp.error) {
        /* the lexer's error, if there is one, is the one to name: a grammar
         * error may be the parser's version's, a lexical one is not */
        PgQueryScanResult lex = pg_query_scan(sc->sql);
        const PgQueryError *e = lex.error ? lex.error : sp.error;
        size_t at = e->cursorpos > 0 ? char_offset(sc->sql, sc->len, e->cursorpos)
                                     : first_token(sc->sql, 0, sc->len);
        report(sc, TXBLOCK_SYNTAX_ERROR, e->message, at, lex.error != NULL);
        pg_query_free_scan_result(lex);
    }
    for (int i = 0; !sp.error && !rc && !sc->stopped && i < sp.n_stmts; i++) {
        if (sc->cancel && pg_cancel_requested(sc->cancel)) {
            rc = UM_ECANCELLED;
            break;
        }
        size_t start = (size_t)sp.stmts[i]->stmt_location;
        size_t end = start + (size_t)sp.stmts[i]->stmt_len;
        rc = statement(sc, start, end, first_token(sc->sql, start, end));
    }
    pg_query_free_split_result(sp);
    return rc;
}

int txblock_scan(const char *sql, int first_line, txblock_cb cb, void *payload,
                 const um_ctx *cancel, err_buf *err)
{
    scan sc = {
        .len = strlen(sql), .line = first_line, .cb = cb, .payload = payload, .cancel = cancel
    };
    if (!(sc.sql = strdup(sql)) || !(sc.tree = lint_tree_new())) {
        free(sc.sql);
        return err_nomem(err);
    }
    int rc = scan_statements(&sc);
    lint_tree_free(sc.tree);
    free(sc.sql);
    if (rc == UM_ECANCELLED)
        return err_set(err, rc, NULL, 0, NULL, "cancelled by the host while the SQL was scanned");
    return rc ? err_nomem(err) : UM_OK;
}

/* ---- settings a section changes ------------------------------------------ */

static bool note_setting(const txblock_hit *hit, void *payload)
{
    if (hit->kind == TXBLOCK_SETTING)
        sb_printf(payload, "%s\n", hit->what);
    return true;
}

int txblock_settings(const char *sql, int first_line, strbuf *names, const um_ctx *cancel,
                     err_buf *err)
{
    int rc = txblock_scan(sql, first_line, note_setting, names, cancel, err);
    return !rc && sb_failed(names) ? err_nomem(err) : rc;
}

/* The settings that say who the session is: put back before the others,
 * which the revision's role may not have the right to reset. */
static bool is_identity_setting(const char *name)
{
    return strcmp(name, "role") == 0 || strcmp(name, "session_authorization") == 0;
}

bool txblock_append_settings_back(um_ctx *ctx, strbuf *sb, const char *names,
                                  txblock_value_fn value, void *arg)
{
    bool first = true;
    if (!names || !*names)
        return true;
    sb_puts(sb, "SELECT ");
    /* the select list runs in order: the session's identity first */
    for (int identity = 1; identity >= 0; identity--) {
        size_t i = 0;
        for (const char *p = names; *p; p += strcspn(p, "\n") + 1, i++) {
            /* copied by length: a name is shorter than the server's limit */
            char name[NAMEDATALEN_MAX];
            size_t len = strcspn(p, "\n"), n = len < sizeof(name) ? len : sizeof(name) - 1;
            memcpy(name, p, n);
            name[n] = '\0';
            if (is_identity_setting(name) != identity)
                continue;
            const char *v = value(i, name, arg);
            sb_puts(sb, first ? "set_config(" : ", set_config(");
            first = false;
            pg_append_literal(ctx, sb, name);
            sb_puts(sb, ", ");
            if (v)
                pg_append_literal(ctx, sb, v);
            else
                sb_puts(sb, "NULL");
            sb_puts(sb, ", false)");
        }
    }
    sb_puts(sb, ";\n");
    return !sb_failed(sb) && ctx->err.d.code == UM_OK;
}
