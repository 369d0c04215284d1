/*
 * lint_run.c - a lint run: revision files in, statements parsed one at a
 * time, findings out with their line and column in the file.
 *
 * The up section is split into statements with libpg_query's parser-based
 * splitter, and each statement is parsed on its own: memory stays bounded
 * by the largest statement and a syntax error costs one statement rather
 * than the file.  When the section does not parse, a lexical
 * splitter of our own (quotes, comments, dollar quotes) takes over, so
 * that every statement but the broken one is still linted; libpg_query's
 * scanner-based splitter is not used, as it drops statements that do not
 * start with a keyword and crashes on an unterminated string.
 */
#include "lint.h"
#include "lint_do.h"
#include "lint_rules.h"
#include "script.h"
#include "util.h"
#include "strbuf.h"
#include "textfile.h"

#include <errno.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IGNORE_MARKER "ultramigrate:lint-ignore"

struct lint_run {
    um_lint_result *result;
    lint_catalog *cat;
    lint_tree *tree;            /* the statement's tree; its arena is reused */
    int severity[LINT_N_RULES]; /* um_lint_severity or LINT_OFF */
    bool engine_lock_timeout;
    bool failed; /* an allocation failed: the run ends in UM_ENOMEM */
};

/* A position: byte offset in the section, and where that is in the file. */
typedef struct pos {
    size_t off;
    int line, col;
} pos;

typedef struct lint_source {
    lint_run *run;
    const char *path, *revision; /* the caller's, valid while the file is read */
    const char *kept_path;       /* their copies in the result, made by the */
    const char *kept_revision;   /* file's first finding */
    char *sql;                   /* the section, NUL-terminated; bytes are
                                    swapped for a NUL while a statement parses */
    size_t len;
    bool parsed;                    /* the whole section parsed: it has no syntax error */
    pos cursor;                     /* the last statement's first token */
    pos stmt;                       /* the current statement's first token */
    bool file_ignore[LINT_N_RULES]; /* suppressed in the file's header */
    bool stmt_ignore[LINT_N_RULES]; /* suppressed before this statement */
    bool lead_ignore[LINT_N_RULES]; /* suppressed before the first one */
    bool prev_ignore[LINT_N_RULES]; /* suppressed after the last one's ';' */
    size_t prev_findings;           /* the last statement's first finding */
    size_t n_statements;
    lint_revision rev;
} lint_source;

/* ---- the run ----------------------------------------------------------- */

int lint_run_new(lint_run **out, const config_settings *cfg, err_buf *err)
{
    lint_run *run = calloc(1, sizeof(*run));
    *out = NULL;
    if (!run || !(run->result = calloc(1, sizeof(*run->result))) ||
        !(run->cat = lint_catalog_new()) || !(run->tree = lint_tree_new())) {
        lint_run_free(run);
        return err_nomem(err);
    }
    for (int r = 0; r < LINT_N_RULES; r++)
        run->severity[r] = (int)lint_rule_default((lint_rule)r);
    for (size_t i = 0; cfg && i < cfg->n_lint_rules; i++)
        run->severity[cfg->lint_rules[i].rule] = cfg->lint_rules[i].severity;
    run->engine_lock_timeout = cfg && cfg->lock_timeout_ms > 0;
    *out = run;
    return UM_OK;
}

void lint_run_free(lint_run *run)
{
    if (!run)
        return;
    lint_result_free(run->result);
    lint_catalog_free(run->cat);
    lint_tree_free(run->tree);
    free(run);
}

int lint_run_result(lint_run *run, um_lint_result **out, err_buf *err)
{
    *out = NULL;
    if (run->failed || lint_catalog_failed(run->cat))
        return err_nomem(err);
    *out = run->result;
    run->result = NULL;
    return UM_OK;
}

/* ---- positions --------------------------------------------------------- */

/* Moves @p forward to byte @target; columns count UTF-8 characters. */
static pos pos_to(const lint_source *f, pos p, size_t target)
{
    const unsigned char *s = (const unsigned char *)f->sql;
    for (; p.off < target && p.off < f->len; p.off++) {
        if (s[p.off] == '\n') {
            p.line++;
            p.col = 1;
        } else if ((s[p.off] & 0xC0) != 0x80) {
            p.col++;
        }
    }
    return p;
}

/* Where byte @off is: counted from the statement when it lies after its
 * first token, else from the previous statement. */
static pos pos_of(const lint_source *f, size_t off)
{
    return pos_to(f, off >= f->stmt.off ? f->stmt : f->cursor, off);
}

/* ---- findings ---------------------------------------------------------- */

static bool suppressible(lint_rule rule)
{
    return rule != LINT_IGNORE_WITHOUT_REASON && rule != LINT_IGNORE_UNKNOWN_RULE;
}

static void report(lint_source *f, lint_rule rule, pos p, const char *fmt, va_list ap)
{
    lint_run *run = f->run;
    int severity = run->severity[rule];
    if (severity == LINT_OFF ||
        (suppressible(rule) && (f->file_ignore[rule] || f->stmt_ignore[rule])))
        return;
    if (!f->kept_path) {
        f->kept_path = lint_result_keep(run->result, f->path);
        f->kept_revision = lint_result_keep(run->result, f->revision);
    }
    strbuf sb = STRBUF_INIT;
    sb_vprintf(&sb, fmt, ap);
    char *message = sb_detach(&sb);
    if (!f->kept_path || (f->revision && !f->kept_revision) || !message ||
        lint_result_add(run->result, rule, (um_lint_severity)severity, f->kept_path,
                        f->kept_revision, p.line, p.col, message))
        run->failed = true;
}

static void report_at(lint_source *f, lint_rule rule, pos p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report_at(lint_source *f, lint_rule rule, pos p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(f, rule, p, fmt, ap);
    va_end(ap);
}

void lint_emit(lint_stmt *st, lint_rule rule, int location, const char *fmt, ...)
{
    lint_source *f = st->source;
    size_t off = location < 0 ? st->first : st->base + (size_t)location;
    if (off < st->first || off > f->len)
        off = st->first;
    va_list ap;
    va_start(ap, fmt);
    report(f, rule, pos_of(f, off), fmt, ap);
    va_end(ap);
}

bool lint_enabled(const lint_stmt *st, lint_rule rule)
{
    return st->source->run->severity[rule] != LINT_OFF;
}

/* ---- suppressions ------------------------------------------------------ */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Marks the rules named in [p, end) ("a,b") in @ignore. */
static void ignore_rules(lint_source *f, const char *p, const char *end, pos at, bool *ignore)
{
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        char id[64];
        snprintf(id, sizeof(id), "%.*s", (int)(e - p), p);
        int rule = lint_rule_find(id);
        if (rule >= 0)
            ignore[rule] = true;
        else if (e > p)
            report_at(f, LINT_IGNORE_UNKNOWN_RULE, at,
                      "lint-ignore names '%s', which is not a rule; see docs/lint.md for the "
                      "rule ids",
                      id);
        p = comma ? comma + 1 : end;
    }
}

/*
 * A "-- ultramigrate:lint-ignore RULE[,RULE] reason" comment: @p is just
 * after the "--", @end the line's end, @at the position of the "--".
 */
static void parse_directive(lint_source *f, const char *p, const char *end, pos at, bool *ignore)
{
    size_t n = strlen(IGNORE_MARKER);
    while (p < end && is_blank(*p))
        p++;
    if ((size_t)(end - p) < n || memcmp(p, IGNORE_MARKER, n) != 0 ||
        (p + n < end && !is_blank(p[n])))
        return;
    for (p += n; p < end && is_blank(*p); p++)
        ;
    const char *rules_end = p;
    while (rules_end < end && !is_blank(*rules_end))
        rules_end++;
    if (rules_end == p) {
        report_at(f, LINT_IGNORE_WITHOUT_REASON, at,
                  "lint-ignore names no rule; write '-- " IGNORE_MARKER " RULE reason'");
        return;
    }
    ignore_rules(f, p, rules_end, at, ignore);
    const char *reason = rules_end;
    while (reason < end && (is_blank(*reason) || *reason == '\n'))
        reason++;
    if (reason == end)
        report_at(f, LINT_IGNORE_WITHOUT_REASON, at,
                  "lint-ignore %.*s gives no reason; say after the rule why the statement is "
                  "safe, for whoever reads the revision next",
                  (int)(rules_end - p), p);
}

/* The header's directives apply to the whole file. */
static void header_directives(lint_source *f, const char *text, size_t header_len)
{
    pos at = { 0, 1, 1 };
    for (const char *p = text, *stop = text + header_len; p < stop;) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *end = nl ? nl : stop;
        const char *q = p;
        while (q < end && is_blank(*q))
            q++;
        at.col = 1 + (int)(q - p);
        if (end - q >= 2 && q[0] == '-' && q[1] == '-')
            parse_directive(f, q + 2, end, at, f->file_ignore);
        at.line++;
        p = nl ? nl + 1 : stop;
    }
}

/* ---- statements -------------------------------------------------------- */

/* Whether the "--" at @i ends a line that holds more than it: between two
 * statements, that is the end of the last one's line ("DROP TABLE a; --
 * ..."), and a comment there is about that statement. */
static bool after_statement(const lint_source *f, size_t i)
{
    while (i > 0 && is_blank(f->sql[i - 1]))
        i--;
    return f->n_statements > 0 && i > 0 && f->sql[i - 1] != '\n';
}

/* End of the comment or blank run at @i (a "--" comment holding a
 * directive is read on the way), or @i when a token starts there. */
static size_t skip_trivia(lint_source *f, size_t i, size_t end)
{
    const char *s = f->sql;
    if (is_blank(s[i]) || s[i] == '\n')
        return i + 1;
    if (s[i] == '-' && i + 1 < end && s[i + 1] == '-') {
        const char *nl = memchr(s + i, '\n', end - i);
        size_t stop = nl ? (size_t)(nl - s) : end;
        parse_directive(f, s + i + 2, s + stop, pos_of(f, i),
                        after_statement(f, i) ? f->prev_ignore : f->stmt_ignore);
        return stop;
    }
    if (s[i] == '/' && i + 1 < end && s[i + 1] == '*')
        return util_skip_block_comment(s, i, end);
    return i;
}

/*
 * Takes back the last statement's findings that a lint-ignore at the end of
 * its line names: they were reported before the comment was read.
 */
static void ignore_after(lint_source *f)
{
    um_lint_result *r = f->run->result;
    size_t kept = f->prev_findings;
    for (size_t i = f->prev_findings; i < r->n; i++) {
        um_lint_finding *x = &r->findings[i];
        int rule = lint_rule_find(x->rule);
        if (rule < 0 || !suppressible((lint_rule)rule) || !f->prev_ignore[rule]) {
            r->findings[kept++] = *x;
            continue;
        }
        if (x->severity == UM_LINT_ERROR)
            r->n_errors--;
        else
            r->n_warnings--;
        free((char *)x->message);
    }
    r->n = kept;
    memset(f->prev_ignore, 0, sizeof(f->prev_ignore));
}

/* The statement's first token in [start, end); end when there is none. */
static size_t first_token(lint_source *f, size_t start, size_t end)
{
    memset(f->stmt_ignore, 0, sizeof(f->stmt_ignore));
    size_t i = start;
    for (size_t next; i < end && (next = skip_trivia(f, i, end)) != i;)
        i = next;
    ignore_after(f);
    return i;
}

/* A syntax error at 1-based character @cursorpos of the text at @base. */
static void syntax_error(lint_source *f, size_t base, int cursorpos, const char *message)
{
    size_t off = base;
    for (int chars = 1; chars < cursorpos && off < f->len; chars++)
        do
            off++;
        while (off < f->len && ((unsigned char)f->sql[off] & 0xC0) == 0x80);
    if (off < f->stmt.off || cursorpos <= 0)
        off = f->stmt.off;
    report_at(f, LINT_SYNTAX_ERROR, pos_of(f, off), "%s; nothing else in this statement was linted",
              message);
}

static void check_tree(lint_stmt *st, const PgQueryProtobuf *pb);

/* Where the body of a DO block in PL/pgSQL is (an offset in the parsed
 * text), or -1: @stmt is no such block. */
static int do_body_location(const PgQuery__Node *stmt)
{
    int loc = -1;
    if (stmt->node_case != PG_QUERY__NODE__NODE_DO_STMT)
        return -1;
    for (size_t i = 0; i < stmt->do_stmt->n_args; i++) {
        const PgQuery__Node *a = stmt->do_stmt->args[i];
        const PgQuery__DefElem *d =
            a->node_case == PG_QUERY__NODE__NODE_DEF_ELEM ? a->def_elem : NULL;
        if (!d)
            continue;
        if (strcmp(d->defname, "as") == 0)
            loc = d->location;
        else if (strcmp(d->defname, "language") == 0 && d->arg &&
                 d->arg->node_case == PG_QUERY__NODE__NODE_STRING &&
                 strcmp(d->arg->string->sval, "plpgsql") != 0)
            return -1;
    }
    return loc;
}

/* A statement of a DO block's body, at @off in the section: linted as if
 * it stood there on its own (it runs during the migration all the same). */
static void lint_do_statement(const char *query, size_t off, void *payload)
{
    const lint_stmt *outer = payload;
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(query);
    if (!r.error) {
        lint_stmt st = { outer->rev, outer->cat, outer->source, off, off, query, strlen(query) };
        check_tree(&st, &r.parse_tree);
    }
    pg_query_free_protobuf_parse_result(r);
}

/*
 * Runs the rules on the statement whose tree libpg_query packed in @pb.
 * A tree that nests deeper than lint_tree.h's stack budget (an expression
 * of thousands of terms) is not linted: no rule could read it either.
 * Then the statements inside a DO block, each on its own tree.
 */
static void check_tree(lint_stmt *st, const PgQueryProtobuf *pb)
{
    lint_source *f = st->source;
    lint_run *run = f->run;
    const PgQuery__Node *stmt = NULL;
    int body = -1;
    if (lint_tree_unpack(run->tree, pb->data, pb->len, &stmt) != UM_OK)
        run->failed = true;
    else if (stmt) {
        lint_check_statement(st, stmt);
        body = do_body_location(stmt);
    }
    lint_tree_clear(run->tree);
    if (body >= 0 && lint_do_each(f->sql, f->len, st->base + (size_t)body, lint_do_statement, st))
        run->failed = true;
}

/* Text of comments and blanks only, [start, end), when the section did not
 * split: an unterminated comment there (it runs to the end of the section)
 * is a syntax error too, as the server would say. */
static void lint_trivia(lint_source *f, size_t start, size_t end)
{
    char saved = f->sql[end];
    f->sql[end] = '\0';
    PgQueryScanResult r = pg_query_scan(f->sql + start);
    f->sql[end] = saved;
    if (r.error) {
        f->cursor = f->stmt;
        f->stmt = pos_to(f, f->stmt, start);
        f->prev_findings = f->run->result->n;
        syntax_error(f, start, r.error->cursorpos, r.error->message);
    }
    pg_query_free_scan_result(r);
}

/* Lints the statement text [start, start + len) of the section. */
static void lint_statement(lint_source *f, size_t start, size_t len)
{
    size_t end = start + len;
    size_t first = first_token(f, start, end);
    if (first >= end) {
        if (!f->parsed)
            lint_trivia(f, start, end);
        return;
    }
    f->cursor = f->stmt;
    f->stmt = pos_to(f, f->stmt, first);
    f->prev_findings = f->run->result->n;
    f->run->result->n_statements++;
    if (f->n_statements++ == 0)
        memcpy(f->lead_ignore, f->stmt_ignore, sizeof(f->lead_ignore));
    if (f->parsed && !lint_statement_matters(f->sql + first, end - first))
        return;

    char saved = f->sql[end];
    f->sql[end] = '\0';
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(f->sql + start);
    f->sql[end] = saved;
    if (r.error) {
        syntax_error(f, start, r.error->cursorpos, r.error->message);
    } else {
        lint_stmt st = { &f->rev, f->run->cat, f, start, first, f->sql + start, len };
        check_tree(&st, &r.parse_tree);
    }
    pg_query_free_protobuf_parse_result(r);
}

/* ---- the fallback splitter --------------------------------------------- */

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* Length of a "$tag$" opening at @s (0 when it is not one). */
static size_t dollar_tag(const char *s, size_t left)
{
    size_t n = 1;
    if (left < 2 || (s[1] >= '0' && s[1] <= '9'))
        return 0;
    while (n < left && s[n] != '$' && is_ident(s[n]))
        n++;
    return n < left && s[n] == '$' ? n + 1 : 0;
}

/* Past a quoted run opened at @i by @q; backslashes escape in E'' only. */
static size_t skip_quoted(const char *s, size_t i, size_t len, char q, bool backslash)
{
    for (i++; i < len; i++) {
        if (backslash && s[i] == '\\')
            i++;
        else if (s[i] == q && i + 1 < len && s[i + 1] == q)
            i++;
        else if (s[i] == q)
            return i + 1;
    }
    return len;
}

/* Past the lexical element at @i: a string, identifier, comment, ... */
static size_t skip_element(const char *s, size_t i, size_t len)
{
    char c = s[i];
    bool after_ident = i > 0 && is_ident(s[i - 1]);
    if (c == '\'')
        return skip_quoted(s, i, len, '\'', i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e'));
    if (c == '"')
        return skip_quoted(s, i, len, '"', false);
    if (c == '-' && i + 1 < len && s[i + 1] == '-') {
        const char *nl = memchr(s + i, '\n', len - i);
        return nl ? (size_t)(nl - s) : len;
    }
    if (c == '/' && i + 1 < len && s[i + 1] == '*')
        return util_skip_block_comment(s, i, len);
    size_t tag = c == '$' && !after_ident ? dollar_tag(s + i, len - i) : 0;
    if (tag) {
        const char *close = NULL;
        for (size_t j = i + tag; !close && j + tag <= len; j++)
            if (memcmp(s + j, s + i, tag) == 0)
                close = s + j;
        return close ? (size_t)(close - s) + tag : len;
    }
    return i + 1;
}

static void split_lexically(lint_source *f)
{
    size_t start = 0;
    for (size_t i = 0; i < f->len;) {
        if (f->sql[i] == ';') {
            lint_statement(f, start, i - start);
            start = ++i;
        } else {
            i = skip_element(f->sql, i, f->len);
        }
    }
    lint_statement(f, start, f->len - start);
}

/* The comments after the last statement (the parser's split leaves them
 * out): a lint-ignore at the end of its line. */
static void lint_tail(lint_source *f, size_t from)
{
    while (from < f->len && (is_blank(f->sql[from]) || f->sql[from] == ';'))
        from++;
    if (from < f->len)
        first_token(f, from, f->len);
}

static void lint_section(lint_source *f)
{
    PgQuerySplitResult sp = pg_query_split_with_parser(f->sql);
    f->parsed = !sp.error;
    if (sp.error) {
        split_lexically(f);
    } else {
        size_t end = 0;
        for (int i = 0; i < sp.n_stmts; i++) {
            lint_statement(f, (size_t)sp.stmts[i]->stmt_location, (size_t)sp.stmts[i]->stmt_len);
            end = (size_t)sp.stmts[i]->stmt_location + (size_t)sp.stmts[i]->stmt_len;
        }
        lint_tail(f, end);
    }
    pg_query_free_split_result(sp);
}

/* ---- files ------------------------------------------------------------- */

/* Byte offset of the start of 1-based line @line of @text. */
static size_t line_offset(const char *text, size_t len, int line)
{
    size_t off = 0;
    for (int no = 1; no < line && off < len; no++) {
        const char *nl = memchr(text + off, '\n', len - off);
        off = nl ? (size_t)(nl - text) + 1 : len;
    }
    return off;
}

static void begin_file(lint_source *f, const char *path, const char *revision, bool transactional)
{
    lint_run *run = f->run;
    f->path = path;
    f->revision = revision;
    f->rev = (lint_revision){ .transactional = transactional,
                              .engine_lock_timeout = run->engine_lock_timeout,
                              .serial = (unsigned)++run->result->n_files };
}

/* Lints [from, to) of @text, which starts at file line @line. */
static int lint_span(lint_source *f, const char *text, size_t from, size_t to, int line,
                     err_buf *err)
{
    if (!(f->sql = strndup(text + from, to - from)))
        return err_nomem(err);
    f->len = to - from;
    f->cursor = f->stmt = (pos){ 0, line, 1 };
    lint_section(f);
    free(f->sql);
    return f->run->failed ? err_nomem(err) : UM_OK;
}

static int lint_revision_text(lint_source *f, const script_file *s, const char *text, size_t len,
                              err_buf *err)
{
    begin_file(f, s->path, s->id, s->transactional);
    size_t up = line_offset(text, len, s->up_line + 1);
    size_t down = s->has_down ? line_offset(text, len, s->down_line) : len;
    header_directives(f, text, line_offset(text, len, s->up_line));
    int rc = lint_span(f, text, up, down, s->up_line + 1, err);
    if (rc || s->has_down)
        return rc;
    /* Said after the section so that a lint-ignore just below the marker,
     * where people write one, counts as well as one in the header. */
    memcpy(f->stmt_ignore, f->lead_ignore, sizeof(f->stmt_ignore));
    report_at(f, LINT_MISSING_DOWN, (pos){ 0, s->up_line, 1 },
              "this revision has no '-- migrate:down' section, so it can never be "
              "downgraded; add one that undoes the up section");
    return f->run->failed ? err_nomem(err) : UM_OK;
}

/* Plain SQL, not a revision file: all of it, as one transactional file. */
static int lint_plain_text(lint_source *f, const char *path, const char *text, size_t len,
                           err_buf *err)
{
    size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    begin_file(f, path, NULL, true);
    return lint_span(f, text, bom, len, 1, err);
}

int lint_text(lint_run *run, const char *path, const char *text, size_t len, err_buf *err)
{
    lint_source f = { .run = run };
    script_file *s = NULL;
    size_t first_finding = run->result->n;
    int rc = script_parse_buffer(path, text, len, &s, err);
    if (rc == UM_EPARSE && !memmem(text, len, "migrate:up", strlen("migrate:up"))) {
        err_clear(err);
        rc = lint_plain_text(&f, path, text, len, err);
    } else if (!rc) {
        rc = lint_revision_text(&f, s, text, len, err);
    }
    script_free(s);
    /* A statement reports its constraints and columns before itself. */
    lint_result_sort(run->result, first_finding);
    return rc;
}

int lint_file(lint_run *run, const char *path, err_buf *err)
{
    char *text = NULL;
    size_t size = 0;
    /* as the engine reads revision files: no FIFO, device, huge or binary
     * file (textfile.h) */
    int rc = textfile_read(&text, &size, path, &textfile_revision, false, err);
    if (rc)
        goto done;
    rc = lint_text(run, path, text, size, err);
done:
    free(text);
    return rc;
}
