/*
 * template.c - names and contents of new revision files.
 */
#include "template.h"
#include "script.h"
#include "strbuf.h"
#include "util.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#define SHOW_MAX 40 /* longest token quoted back in a message */

const char template_default_script[] = "-- ${message}\n"
                                       "--\n"
                                       "-- Revision ID: ${rev_id}\n"
                                       "-- Revises: ${parents}\n"
                                       "-- Depends On: ${depends_on}\n"
                                       "-- Branch Labels: ${branch_labels}\n"
                                       "-- Create Date: ${create_date}\n"
                                       "-- Transactional: yes\n"
                                       "\n"
                                       "-- migrate:up\n"
                                       "\n"
                                       "\n"
                                       "-- migrate:down\n"
                                       "\n";

/* ---- slug ------------------------------------------------------------ */

static bool is_slug_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Cuts @slug to @max chars at the last "_" that keeps a whole word; a first
 * word longer than @max is cut inside. */
static void truncate_at_word(char *slug, size_t max)
{
    if (strlen(slug) <= max)
        return;
    size_t cut = max;
    if (slug[max] != '_') {
        while (cut > 0 && slug[cut - 1] != '_')
            cut--;
        cut = cut > 0 ? cut - 1 : max;
    }
    slug[cut] = '\0';
}

/*
 * Latin letters with diacritics (Latin-1 Supplement and Latin Extended-A,
 * U+00C0 to U+017F) as the ASCII letters a reader would type for them, so
 * that "Ajout café / naïve" gives "ajout_cafe_naive", not "ajout_caf_na_ve".
 * Ranges of code points in order; × and ÷ are not letters (separators).
 */
static const struct translit {
    unsigned short first, last;
    const char *ascii;
} translit[] = {
    { 0xC0, 0xC5, "a" },   { 0xC6, 0xC6, "ae" },   { 0xC7, 0xC7, "c" },   { 0xC8, 0xCB, "e" },
    { 0xCC, 0xCF, "i" },   { 0xD0, 0xD0, "d" },    { 0xD1, 0xD1, "n" },   { 0xD2, 0xD6, "o" },
    { 0xD8, 0xD8, "o" },   { 0xD9, 0xDC, "u" },    { 0xDD, 0xDD, "y" },   { 0xDE, 0xDE, "th" },
    { 0xDF, 0xDF, "ss" },  { 0xE0, 0xE5, "a" },    { 0xE6, 0xE6, "ae" },  { 0xE7, 0xE7, "c" },
    { 0xE8, 0xEB, "e" },   { 0xEC, 0xEF, "i" },    { 0xF0, 0xF0, "d" },   { 0xF1, 0xF1, "n" },
    { 0xF2, 0xF6, "o" },   { 0xF8, 0xF8, "o" },    { 0xF9, 0xFC, "u" },   { 0xFD, 0xFD, "y" },
    { 0xFE, 0xFE, "th" },  { 0xFF, 0xFF, "y" },    { 0x100, 0x105, "a" }, { 0x106, 0x10D, "c" },
    { 0x10E, 0x111, "d" }, { 0x112, 0x11B, "e" },  { 0x11C, 0x123, "g" }, { 0x124, 0x127, "h" },
    { 0x128, 0x131, "i" }, { 0x132, 0x133, "ij" }, { 0x134, 0x135, "j" }, { 0x136, 0x138, "k" },
    { 0x139, 0x142, "l" }, { 0x143, 0x14B, "n" },  { 0x14C, 0x151, "o" }, { 0x152, 0x153, "oe" },
    { 0x154, 0x159, "r" }, { 0x15A, 0x161, "s" },  { 0x162, 0x167, "t" }, { 0x168, 0x173, "u" },
    { 0x174, 0x175, "w" }, { 0x176, 0x178, "y" },  { 0x179, 0x17E, "z" }, { 0x17F, 0x17F, "s" },
};

/* The ASCII for the two-byte UTF-8 sequence at @p, or NULL when it is not
 * one of translit's letters. */
static const char *transliterate(const unsigned char *p)
{
    if (p[0] < 0xC3 || p[0] > 0xC5 || (p[1] & 0xC0) != 0x80)
        return NULL;
    unsigned cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    for (size_t i = 0; i < sizeof(translit) / sizeof(translit[0]); i++)
        if (cp >= translit[i].first && cp <= translit[i].last)
            return translit[i].ascii;
    return NULL;
}

char *template_slug(const char *message, int truncate)
{
    size_t len = message ? strlen(message) : 0;
    /* a letter's ASCII is never longer than its two bytes */
    char *slug = malloc(len + 1);
    size_t n = 0;

    if (!slug)
        return NULL;
    /* Bytes of other multibyte characters are separators: a slug is ASCII. */
    for (size_t i = 0; i < len; i++) {
        const char *ascii = transliterate((const unsigned char *)message + i);
        char c = ascii_lower(message[i]);
        if (ascii) {
            memcpy(slug + n, ascii, strlen(ascii));
            n += strlen(ascii);
            i++;
        } else if (is_slug_char(c)) {
            slug[n++] = c;
        } else if (n > 0 && slug[n - 1] != '_') {
            slug[n++] = '_';
        }
    }
    if (n > 0 && slug[n - 1] == '_')
        n--;
    slug[n] = '\0';
    if (truncate > 0)
        truncate_at_word(slug, (size_t)truncate);
    return slug;
}

/* ---- file name ------------------------------------------------------- */

typedef struct name_ctx {
    const char *rev, *slug;
    struct tm tm;
    long long epoch;
} name_ctx;

/* The value of token [p, e): a string (*s) or a number (*num). */
static bool token_value(const name_ctx *c, const char *p, const char *e, const char **s,
                        long long *num)
{
    static const char *const ints[] = {
        "year", "month", "day", "hour", "minute", "second", "epoch",
    };
    const long long vals[] = {
        c->tm.tm_year + 1900LL, c->tm.tm_mon + 1, c->tm.tm_mday, c->tm.tm_hour,
        c->tm.tm_min,           c->tm.tm_sec,     c->epoch,
    };
    size_t n = (size_t)(e - p);

    *s = NULL;
    if (n == 3 && memcmp(p, "rev", 3) == 0)
        *s = c->rev;
    else if (n == 4 && memcmp(p, "slug", 4) == 0)
        *s = c->slug;
    if (*s)
        return true;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (strlen(ints[i]) == n && memcmp(p, ints[i], n) == 0) {
            *num = vals[i];
            return true;
        }
    return false;
}

static int bad_template(err_buf *err, const char *at, const char *why)
{
    int n = (int)strnlen(at, SHOW_MAX);
    return err_set(err, UM_ECONFIG, NULL, 0, NULL, "file_template: %s at '%.*s'", why, n, at);
}

/*
 * Formats one "%(name)[.N](s|d)" conversion at @p (just after the "%"),
 * with Python's meaning of the precision: truncate a string, zero-pad a
 * number.  Returns the length consumed, or a negative UM_E* code.
 */
static int convert(const name_ctx *c, const char *p, strbuf *sb, err_buf *err)
{
    const char *name = p + 1, *close = strchr(name, ')');
    const char *q, *s;
    long long num = 0;
    long prec = -1;
    char digits[24];

    if (!close)
        return bad_template(err, p - 1, "unterminated '%('");
    if (!token_value(c, name, close, &s, &num))
        return err_set(err, UM_ECONFIG, NULL, 0, NULL,
                       "file_template: unknown token '%%(%.*s)' (known: "
                       "rev, slug, year, month, day, hour, minute, second, "
                       "epoch)",
                       (int)(close - name > SHOW_MAX ? SHOW_MAX : close - name), name);
    q = close + 1;
    if (*q == '.') {
        char *end;
        prec = strtol(q + 1, &end, 10);
        if (end == q + 1 || prec < 0 || prec > 64)
            return bad_template(err, p - 1, "bad precision");
        q = end;
    }
    if (*q == 'd' && s)
        return bad_template(err, p - 1, "'d' needs a number token");
    if (*q != 's' && *q != 'd')
        return bad_template(err, p - 1, "expected 's' or 'd' after the token");
    if (*q == 's' && !s) {
        snprintf(digits, sizeof(digits), "%lld", num);
        s = digits;
    }
    if (s)
        sb_printf(sb, "%.*s", prec < 0 ? INT_MAX : (int)prec, s);
    else
        sb_printf(sb, "%.*lld", prec < 0 ? 1 : (int)prec, num);
    return (int)(q + 1 - p);
}

static int expand_name(const char *tmpl, const name_ctx *c, strbuf *sb, err_buf *err)
{
    for (const char *p = tmpl; *p;) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            sb_puts(sb, p);
            break;
        }
        sb_append(sb, p, (size_t)(pct - p));
        if (pct[1] == '%') {
            sb_putc(sb, '%');
            p = pct + 2;
            continue;
        }
        if (pct[1] != '(')
            return bad_template(err, pct,
                                "'%' must start '%(name)s' or be "
                                "doubled");
        int used = convert(c, pct + 1, sb, err);
        if (used < 0)
            return used;
        p = pct + 1 + used;
    }
    return UM_OK;
}

/* An empty slug must not leave "abc_.sql": drop trailing separators. */
static void strip_trailing_separators(strbuf *sb)
{
    while (sb->len > 0 && (sb->buf[sb->len - 1] == '_' || sb->buf[sb->len - 1] == '-'))
        sb->buf[--sb->len] = '\0';
}

static int check_name(const char *name, err_buf *err)
{
    if (strchr(name, '/'))
        return err_set(err, UM_ECONFIG, NULL, 0, NULL,
                       "file_template gives '%s', which contains '/'", name);
    /* The revision reader skips dot files and needs a name before .sql. */
    if (name[0] == '\0' || name[0] == '.')
        return err_set(err, UM_ECONFIG, NULL, 0, NULL,
                       "file_template gives '%s.sql', a hidden or empty "
                       "file name",
                       name);
    return UM_OK;
}

int template_file_name(const char *file_template, const char *rev_id, const char *message,
                       int truncate_slug, time_t now, char **out, err_buf *err)
{
    name_ctx c = { .rev = rev_id ? rev_id : "", .epoch = (long long)now };
    strbuf sb = STRBUF_INIT;
    int rc;

    *out = NULL;
    if (!gmtime_r(&now, &c.tm))
        return err_set(err, UM_ERROR, NULL, 0, NULL, "cannot break down the time %lld", c.epoch);
    if (!(c.slug = template_slug(message, truncate_slug)))
        return err_nomem(err);
    if ((rc = expand_name(file_template, &c, &sb, err)))
        goto done;
    strip_trailing_separators(&sb);
    if (sb_failed(&sb)) {
        rc = err_nomem(err);
        goto done;
    }
    if ((rc = check_name(sb_str(&sb), err)))
        goto done;
    sb_puts(&sb, ".sql");
    if (!(*out = sb_detach(&sb)))
        rc = err_nomem(err);
done:
    sb_free(&sb);
    free((char *)c.slug);
    return rc;
}

/* ---- revision id ----------------------------------------------------- */

int template_new_rev_id(char out[13], err_buf *err)
{
    unsigned char b[6];

    out[0] = '\0';
    if (RAND_bytes(b, (int)sizeof(b)) != 1)
        return err_set(err, UM_ERROR, NULL, 0, NULL, "cannot get random bytes for a revision id");
    util_hex(b, sizeof(b), out);
    return UM_OK;
}

/* ---- render ---------------------------------------------------------- */

/* The message goes on one comment line: a line break in it would end the
 * comment and put the rest of the message where SQL is expected. */
static void put_one_line(strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (s[0] == '\r' && s[1] == '\n')
            continue;
        sb_putc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
    }
}

static const char *var_value(const template_vars *v, const char *p, const char *e)
{
    const struct {
        const char *name, *value;
    } vars[] = {
        { "rev_id", v->rev_id },
        { "parents", v->parents },
        { "depends_on", v->depends_on },
        { "create_date", v->create_date },
        { "branch_labels", v->branch_labels },
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strlen(vars[i].name) == (size_t)(e - p) &&
            memcmp(p, vars[i].name, (size_t)(e - p)) == 0)
            return vars[i].value ? vars[i].value : "";
    return NULL;
}

/* Expands the "${name}" at @p; returns the bytes consumed or a UM_E*. */
static int placeholder(const char *p, const template_vars *v, strbuf *sb, const char *tmpl_path,
                       int line_no, err_buf *err)
{
    const char *name = p + 2;
    size_t n = strcspn(name, "}\n");
    const char *e = name + n;
    const char *value;

    if (*e != '}')
        return err_set(err, UM_EPARSE, tmpl_path, line_no, NULL,
                       "unterminated '${' in the template");
    if (n == 7 && memcmp(name, "message", 7) == 0) {
        const char *key = v->message ? script_header_key(v->message) : NULL;
        if (key) /* read back, the line would be that header's, not the message */
            return err_set(err, UM_EINVAL, NULL, 0, NULL,
                           "the message '%.*s' would read as the revision's '%s:' header line;"
                           " word it otherwise (nothing was written)",
                           SHOW_MAX, v->message, key);
        put_one_line(sb, v->message ? v->message : "");
        return (int)(e + 1 - p);
    }
    if (!(value = var_value(v, name, e)))
        return err_set(err, UM_EPARSE, tmpl_path, line_no, NULL,
                       "unknown placeholder '${%.*s}' (known: ${message}, "
                       "${rev_id}, ${parents}, ${depends_on}, "
                       "${create_date}, ${branch_labels}; '$$' is a literal '$')",
                       (int)(n > SHOW_MAX ? SHOW_MAX : n), name);
    sb_puts(sb, value);
    return (int)(e + 1 - p);
}

#define LABELS_VAR  "${branch_labels}"
#define DEPENDS_VAR "${depends_on}"

static bool has_labels(const template_vars *v)
{
    return v->branch_labels && *v->branch_labels;
}

/* Where the line after @p starts (the end of the text for the last one). */
static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : p + strlen(p);
}

/* Whether the line at @p names @var. */
static bool line_names(const char *p, const char *var)
{
    const char *at = strstr(p, var);
    return at && at < next_line(p);
}

/* Whether the line at @p is a header line of an optional value the
 * revision lacks (labels, dependencies): left out rather than written
 * empty. */
static bool skip_line(const char *p, const template_vars *v)
{
    return (!has_labels(v) && line_names(p, LABELS_VAR)) ||
           ((!v->depends_on || !*v->depends_on) && line_names(p, DEPENDS_VAR));
}

/* The labels line of an older template: after "Revision ID:" (the
 * parser's key, whatever its case), else first. */
static int add_labels_line(char **text, const template_vars *v, err_buf *err)
{
    strbuf sb = STRBUF_INIT;
    const char *at = *text;
    for (const char *p = *text; *p; p = next_line(p))
        if (strncasecmp(p + strspn(p, "- \t"), "Revision ID:", 12) == 0) {
            at = next_line(p);
            break;
        }
    sb_append(&sb, *text, (size_t)(at - *text));
    if (at > *text && at[-1] != '\n')
        sb_putc(&sb, '\n');
    sb_printf(&sb, "-- Branch Labels: %s\n%s", v->branch_labels, at);
    char *with = sb_detach(&sb);
    if (!with)
        return err_nomem(err);
    free(*text);
    *text = with;
    return UM_OK;
}

int template_render(const char *tmpl, const char *tmpl_path, const template_vars *vars, char **out,
                    err_buf *err)
{
    strbuf sb = STRBUF_INIT;
    int line_no = 1;
    int rc = UM_OK;

    *out = NULL;
    for (const char *p = tmpl; *p;) {
        if ((p == tmpl || p[-1] == '\n') && skip_line(p, vars)) {
            p = next_line(p);
            line_no++;
            continue;
        }
        size_t n = strcspn(p, "$\n");
        sb_append(&sb, p, n);
        p += n;
        if (*p == '\n') {
            sb_putc(&sb, '\n');
            line_no++;
            p++;
        } else if (p[0] == '$' && p[1] == '{') {
            int used = placeholder(p, vars, &sb, tmpl_path, line_no, err);
            if (used < 0) {
                rc = used;
                goto done;
            }
            p += used;
        } else if (*p == '$') {
            sb_putc(&sb, '$'); /* "$$" and a lone "$" both give one "$" */
            p += p[1] == '$' ? 2 : 1;
        }
    }
    if (!(*out = sb_detach(&sb)))
        rc = err_nomem(err);
    else if (has_labels(vars) && !strstr(tmpl, LABELS_VAR))
        rc = add_labels_line(out, vars, err);
    if (rc != UM_OK) {
        free(*out);
        *out = NULL;
    }
done:
    sb_free(&sb);
    return rc;
}
