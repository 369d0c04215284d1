/*
 * config.c - ultramigrate.ini (read with inih), the environment, defaults.
 *
 * Loading happens in three passes: inih reads the file into raw entries
 * of the three sections we care about ([ultramigrate], [alembic],
 * [DEFAULT]); the keys we know are then interpolated and typed into the
 * config_settings; last the database URL is chosen among the caller, the
 * environment and the file.  Interpolation is lazy, as in configparser:
 * only the keys we read are interpolated, so an Alembic file's values for
 * keys we ignore can never make loading fail.
 */
#include "config.h"
#include "lint.h"
#include "redact.h"
#include "strbuf.h"
#include "textfile.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* configparser's MAX_INTERPOLATION_DEPTH. */
#define MAX_INTERPOLATION_DEPTH 10
/* PostgreSQL's NAMEDATALEN - 1. */
#define MAX_IDENTIFIER_BYTES 63
/* The longest name store.c derives from version_table (the index on the
 * applied table; the tables take "_applied" and "_history"): the server
 * would cut a longer one to 63 bytes, into names that collide. */
#define LONGEST_DERIVED_SUFFIX "_applied_unfinished"

/* ------------------------------------------------------------------ */
/* Raw entries                                                          */
/* ------------------------------------------------------------------ */

/* In lookup order: a key in [ultramigrate] wins over [alembic], and
 * [DEFAULT] supplies what neither has, as configparser's get() does. */
enum { SEC_ULTRAMIGRATE, SEC_ALEMBIC, SEC_DEFAULT, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {
    "ultramigrate",
    "alembic",
    "DEFAULT",
};

typedef struct entry {
    char *name;  /* lower-cased, as configparser's optionxform() */
    char *value; /* raw; continuation lines joined with "\n" */
    int line;    /* the line of "name = value" */
} entry;

typedef struct section {
    entry *v;
    size_t n, cap;
} section;

typedef struct ini_file {
    const char *path;
    const char *here;
    /* Alembic's -n: this section is read instead of [ultramigrate] and
     * [alembic] (in the SEC_ULTRAMIGRATE slot); NULL: those two */
    const char *section;
    section sec[SEC_COUNT];
} ini_file;

static void ini_file_free(ini_file *ini)
{
    for (int s = 0; s < SEC_COUNT; s++) {
        for (size_t i = 0; i < ini->sec[s].n; i++) {
            free(ini->sec[s].v[i].name);
            free(ini->sec[s].v[i].value);
        }
        free(ini->sec[s].v);
    }
}

static int section_id(const ini_file *ini, const char *name)
{
    if (ini->section && strcmp(name, section_names[SEC_DEFAULT]) != 0)
        return strcmp(name, ini->section) == 0 ? SEC_ULTRAMIGRATE : -1;
    for (int s = 0; s < SEC_COUNT; s++)
        if (strcmp(name, section_names[s]) == 0)
            return s;
    return -1;
}

/* The name of section @sec as the file spells it. */
static const char *section_name(const ini_file *ini, int sec)
{
    return ini->section && sec == SEC_ULTRAMIGRATE ? ini->section : section_names[sec];
}

static const entry *find_entry(const ini_file *ini, int sec, const char *name)
{
    for (size_t i = 0; i < ini->sec[sec].n; i++)
        if (strcmp(ini->sec[sec].v[i].name, name) == 0)
            return &ini->sec[sec].v[i];
    return NULL;
}

static char *lowercase_dup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    for (char *q = p; q && *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

/* ------------------------------------------------------------------ */
/* Reading with inih                                                    */
/* ------------------------------------------------------------------ */

/*
 * inih (Debian's build) neither passes line numbers to the handler nor
 * reports lines longer than its buffer: it hands the truncated text to the
 * handler and parses the remainder as a line of its own.  So the file is
 * read through our reader, which counts lines (inih calls the handler for
 * a line right after the reader returned it, so the count is the
 * handler's line) and stops on a line that does not fit.
 */
typedef struct reader_state {
    FILE *fp;
    ini_file *ini;
    err_buf *err;
    int line;       /* the line last returned */
    int read_errno; /* errno of a failed read, 0: none */
    int fail_line;  /* line of the error recorded in err, 0: none */
    /* Continuation lines, mirrored from inih's rule: a non-blank,
     * non-comment line that starts with whitespace continues the value of
     * the previous key, unless a [section] line came in between. */
    bool after_key;    /* inih's prev_name is set */
    bool continuation; /* the line last returned continues a value */
    entry *last;       /* the entry a continuation extends; NULL when the
                           previous key was in a section we ignore */
} reader_state;

/* Notes that err holds an error about the current line; 0 for inih. */
static int fail_at(reader_state *st)
{
    st->fail_line = st->line;
    return 0;
}

/* True at a line's end: the newline that did not fit is consumed, so the
 * next read starts on the next line. */
static bool at_line_end(FILE *fp)
{
    int c = getc(fp);
    if (c == '\n' || c == EOF)
        return true;
    ungetc(c, fp);
    return false;
}

static void classify_line(reader_state *st, const char *buf)
{
    bool indented = isspace((unsigned char)buf[0]);
    const char *p = buf;
    while (isspace((unsigned char)*p))
        p++;
    st->continuation = false;
    if (*p == '\0' || *p == ';' || *p == '#')
        return; /* blank or comment */
    if (indented && st->after_key)
        st->continuation = true;
    else if (*p == '[')
        st->after_key = false;
}

static char *read_line(char *buf, int size, void *stream)
{
    reader_state *st = stream;

    if (st->fail_line)
        return NULL; /* stop at our first error */
    errno = 0;
    if (!fgets(buf, size, st->fp)) {
        if (ferror(st->fp))
            st->read_errno = errno ? errno : EIO;
        return NULL;
    }
    st->line++;
    size_t len = strlen(buf);
    if (len == (size_t)size - 1 && buf[len - 1] != '\n' && !at_line_end(st->fp)) {
        err_set(st->err, UM_ECONFIG, st->ini->path, st->line, NULL,
                "line %d is longer than %d characters", st->line, size - 1);
        fail_at(st);
        return NULL;
    }
    classify_line(st, buf);
    return buf;
}

/* Records out of memory at the current line; 0 for inih. */
static int no_memory(reader_state *st)
{
    err_nomem(st->err);
    return fail_at(st);
}

static int continue_value(reader_state *st, const char *value)
{
    if (!st->last)
        return 1;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s\n%s", st->last->value, value);
    char *joined = sb_detach(&sb);
    if (!joined)
        return no_memory(st);
    free(st->last->value);
    st->last->value = joined;
    return 1;
}

static bool section_reserve(section *s)
{
    entry *v = util_grow(s->v, s->n, &s->cap, sizeof(*v));
    if (v)
        s->v = v;
    return v != NULL;
}

static int add_entry(reader_state *st, int sec, const char *name, const char *value)
{
    section *s = &st->ini->sec[sec];
    entry e = { lowercase_dup(name, strlen(name)), strdup(value), st->line };
    const entry *dup = e.name ? find_entry(st->ini, sec, e.name) : NULL;
    int ok;

    if (dup) {
        /* configparser (strict, as Alembic uses it) refuses duplicates. */
        err_set(st->err, UM_ECONFIG, st->ini->path, st->line, NULL,
                "key '%s' is already set in [%s] on line %d", e.name, section_name(st->ini, sec),
                dup->line);
        ok = fail_at(st);
    } else if (!e.name || !e.value || !section_reserve(s)) {
        ok = no_memory(st);
    } else {
        s->v[s->n] = e;
        st->last = &s->v[s->n++];
        return 1;
    }
    free(e.name);
    free(e.value);
    return ok;
}

/* inih's handler: returns 0 (inih then notes the line) on error. */
static int on_key(void *user, const char *section_name, const char *name, const char *value)
{
    reader_state *st = user;

    if (st->continuation)
        return continue_value(st, value);
    st->after_key = true;
    st->last = NULL;
    int sec = section_id(st->ini, section_name);
    return sec < 0 ? 1 : add_entry(st, sec, name, value);
}

static int cannot_read(const char *path, int errnum, err_buf *err)
{
    return err_set(err, UM_ECONFIG, path, 0, NULL, "cannot read configuration: %s",
                   strerror(errnum));
}

static int parse_file(ini_file *ini, FILE *fp, err_buf *err)
{
    reader_state st = { .fp = fp, .ini = ini, .err = err };
    int rc = ini_parse_stream(read_line, &st, on_key, &st);

    /* inih returns the first line it found wrong, which is ours when our
     * handler failed there; an earlier syntax error comes first. */
    if (rc > 0 && rc != st.fail_line)
        return err_set(err, UM_ECONFIG, ini->path, rc, NULL,
                       "syntax error (expected [section], key = value or a comment)");
    if (st.fail_line)
        return err->d.code;
    if (st.read_errno)
        return cannot_read(ini->path, st.read_errno, err);
    if (rc < 0)
        return err_nomem(err);
    return UM_OK;
}

/* ------------------------------------------------------------------ */
/* Interpolation (configparser's BasicInterpolation)                    */
/* ------------------------------------------------------------------ */

typedef struct interp {
    const ini_file *ini;
    int sec;         /* the section whose keys %(name)s names */
    const char *key; /* the key being read, for messages */
    int line;        /* its line */
    err_buf *err;
} interp;

static int interp_error(const interp *ip, const char *what)
{
    return err_set(ip->err, UM_ECONFIG, ip->ini->path, ip->line, NULL, "key '%s': %s", ip->key,
                   what);
}

static int expand(const interp *ip, const char *value, int depth, strbuf *out);

#define MAX_INTERPOLATED_LENGTH (64 * 1024)

/* A name's value: the section's key, else [DEFAULT]'s, else "here".  The
 * file may define "here" itself, as with Alembic's ConfigParser, whose
 * "here" is only a default. */
static int expand_name(const interp *ip, const char *name, int depth, strbuf *out)
{
    const entry *e = find_entry(ip->ini, ip->sec, name);
    if (!e)
        e = find_entry(ip->ini, SEC_DEFAULT, name);
    if (e) {
        /* As in configparser, only a value with a '%' is a level deeper. */
        if (strchr(e->value, '%'))
            return expand(ip, e->value, depth + 1, out);
        sb_puts(out, e->value);
        return UM_OK;
    }
    if (strcmp(name, "here") == 0) {
        sb_puts(out, ip->ini->here);
        return UM_OK;
    }
    return err_set(ip->err, UM_ECONFIG, ip->ini->path, ip->line, NULL,
                   "key '%s': '%%(%s)s' names no key in [%s]%s", ip->key, name,
                   section_name(ip->ini, ip->sec), ip->sec == SEC_DEFAULT ? "" : " or [DEFAULT]");
}

/* One "%..." at @p; sets *@next past it.  Values are never quoted in
 * these messages: a URL's password may sit right next to a '%'. */
static int expand_ref(const interp *ip, const char *p, const char **next, int depth, strbuf *out)
{
    if (p[1] == '%') {
        sb_putc(out, '%');
        *next = p + 2;
        return UM_OK;
    }
    if (p[1] != '(')
        return interp_error(ip,
                            "'%' must be followed by '%' or '(' (write '%%' for a literal '%')");
    const char *close = strchr(p + 2, ')');
    if (!close || close == p + 2 || close[1] != 's')
        return interp_error(ip, "bad reference after '%(' (expected %(name)s)");
    char *name = lowercase_dup(p + 2, (size_t)(close - p - 2));
    if (!name)
        return err_nomem(ip->err);
    int rc = expand_name(ip, name, depth, out);
    free(name);
    *next = close + 2;
    return rc;
}

static int expand(const interp *ip, const char *value, int depth, strbuf *out)
{
    if (depth > MAX_INTERPOLATION_DEPTH)
        return interp_error(ip, "interpolation is deeper than 10 levels "
                                "(do references form a loop?)");
    const char *p = value;
    while (*p) {
        /* references can multiply a value at every level: 16 references
         * to a key of 16 references, nine deep, would never finish */
        if (out->len > MAX_INTERPOLATED_LENGTH)
            return interp_error(ip, "the interpolated value is longer than 64 KiB"
                                    " (do references multiply?)");
        const char *pct = strchr(p, '%');
        if (!pct) {
            sb_puts(out, p);
            break;
        }
        sb_append(out, p, (size_t)(pct - p));
        int rc = expand_ref(ip, pct, &p, depth, out);
        if (rc)
            return rc;
    }
    return UM_OK;
}

/* The interpolated value of @e, read in section @sec (free()). */
static int interpolate(const ini_file *ini, int sec, const entry *e, char **out, err_buf *err)
{
    interp ip = { ini, sec, e->name, e->line, err };
    strbuf sb = STRBUF_INIT;
    int rc = expand(&ip, e->value, 1, &sb);
    if (!rc && !(*out = sb_detach(&sb)))
        rc = err_nomem(err);
    sb_free(&sb);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Typed values                                                         */
/* ------------------------------------------------------------------ */

static bool parse_bool(const char *s, bool *out)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        { "true", true },   { "yes", true }, { "on", true },   { "1", true },
        { "false", false }, { "no", false }, { "off", false }, { "0", false },
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].value;
            return true;
        }
    }
    return false;
}

/* Decimal digits at *@p, saturating above INT_MAX; false when none. */
static bool parse_digits(const char **p, long long *out)
{
    long long n = 0;
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++)
        n = n > INT_MAX ? n : n * 10 + (*s - '0');
    *p = s;
    *out = n;
    return true;
}

static bool parse_count(const char *s, int *out)
{
    long long n;
    if (!parse_digits(&s, &n) || *s || n > INT_MAX)
        return false;
    *out = (int)n;
    return true;
}

enum { DURATION_OK, DURATION_BAD, DURATION_TOO_LARGE };

/* PostgreSQL's spelling: whitespace may separate number and unit. */
static int parse_duration(const char *s, int *out_ms)
{
    static const struct {
        const char *unit;
        long long ms;
    } units[] = {
        { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 },
    };
    long long n;
    if (!parse_digits(&s, &n))
        return DURATION_BAD;
    while (*s == ' ' || *s == '\t')
        s++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(s, units[i].unit) != 0)
            continue;
        if (n > INT_MAX / units[i].ms)
            return DURATION_TOO_LARGE;
        *out_ms = (int)(n * units[i].ms);
        return DURATION_OK;
    }
    return DURATION_BAD;
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */
/* ------------------------------------------------------------------ */

typedef enum key_kind {
    KIND_TEXT,       /* non-empty string */
    KIND_OPTIONAL,   /* string; empty means not set (NULL) */
    KIND_IDENTIFIER, /* a PostgreSQL name */
    KIND_TABLE_STEM, /* a PostgreSQL name other names are made from */
    KIND_BOOL,
    KIND_COUNT,         /* integer >= 0 */
    KIND_DURATION,      /* milliseconds */
    KIND_URL,           /* checked when chosen (resolve_url) */
    KIND_LINT_MODE,     /* warn, error or off */
    KIND_BACKUP_FORMAT, /* custom or plain */
    KIND_LOCK_MODE,     /* advisory or table */
} key_kind;

typedef struct key_spec {
    const char *name;
    const char *alias; /* Alembic's name, read when name is absent */
    key_kind kind;
    size_t offset; /* of the field in config_settings */
} key_spec;

#define FIELD(f) offsetof(config_settings, f)
static const key_spec known_keys[] = {
    { "script_location", NULL, KIND_TEXT, FIELD(script_location) },
    { "database_url", "sqlalchemy.url", KIND_URL, FIELD(database_url) },
    { "file_template", NULL, KIND_TEXT, FIELD(file_template) },
    { "truncate_slug_length", NULL, KIND_COUNT, FIELD(truncate_slug_length) },
    { "timezone", NULL, KIND_OPTIONAL, FIELD(timezone) },
    { "transaction_per_migration", NULL, KIND_BOOL, FIELD(transaction_per_migration) },
    { "version_table", NULL, KIND_TABLE_STEM, FIELD(version_table) },
    { "version_table_schema", NULL, KIND_IDENTIFIER, FIELD(version_table_schema) },
    { "lock_wait", NULL, KIND_DURATION, FIELD(lock_wait_ms) },
    { "lock_timeout", NULL, KIND_DURATION, FIELD(lock_timeout_ms) },
    { "statement_timeout", NULL, KIND_DURATION, FIELD(statement_timeout_ms) },
    { "health_timeout", NULL, KIND_DURATION, FIELD(health_timeout_ms) },
    { "lock_retries", NULL, KIND_COUNT, FIELD(lock_retries) },
    { "lock_mode", NULL, KIND_LOCK_MODE, FIELD(lock_mode) },
    { "lock_lease", NULL, KIND_DURATION, FIELD(lock_lease_ms) },
    { "header_cache", NULL, KIND_BOOL, FIELD(header_cache) },
    { "compare_type", NULL, KIND_BOOL, FIELD(compare_type) },
    { "compare_server_default", NULL, KIND_BOOL, FIELD(compare_server_default) },
    { "compare_privileges", NULL, KIND_BOOL, FIELD(compare_privileges) },
    { "schema_file", NULL, KIND_OPTIONAL, FIELD(schema_file) },
    { "shadow_database_url", NULL, KIND_OPTIONAL, FIELD(shadow_database_url) },
    { "backup_dir", NULL, KIND_OPTIONAL, FIELD(backup_dir) },
    { "backup_before_upgrade", NULL, KIND_BOOL, FIELD(backup_before_upgrade) },
    { "backup_keep", NULL, KIND_COUNT, FIELD(backup_keep) },
    { "backup_format", NULL, KIND_BACKUP_FORMAT, FIELD(backup_format) },
    { "pg_bin_dir", NULL, KIND_OPTIONAL, FIELD(pg_bin_dir) },
    { "lint_on_upgrade", NULL, KIND_LINT_MODE, FIELD(lint_on_upgrade) },
};
#undef FIELD
#define N_KNOWN_KEYS (sizeof(known_keys) / sizeof(known_keys[0]))

/* Alembic keys that mean nothing here but are normal in its files. */
static const char *const alembic_only_keys[] = {
    "prepend_sys_path",  "version_path_separator",      "path_separator",
    "output_encoding",   "revision_environment",        "sourceless",
    "version_locations", "recursive_version_locations", "hooks",
};

/* "lint.RULE" keys set a rule's severity (apply_lint_keys). */
#define LINT_KEY_PREFIX "lint."

static bool is_lint_key(const char *name)
{
    return strncmp(name, LINT_KEY_PREFIX, strlen(LINT_KEY_PREFIX)) == 0;
}

static bool is_known_key(const char *name)
{
    /* "here" is read by %(here)s interpolation (expand_name), not a setting */
    if (is_lint_key(name) || strcmp(name, "here") == 0)
        return true;
    for (size_t i = 0; i < N_KNOWN_KEYS; i++)
        if (strcmp(name, known_keys[i].name) == 0 ||
            (known_keys[i].alias && strcmp(name, known_keys[i].alias) == 0))
            return true;
    for (size_t i = 0; i < sizeof(alembic_only_keys) / sizeof(alembic_only_keys[0]); i++)
        if (strcmp(name, alembic_only_keys[i]) == 0)
            return true;
    return false;
}

static void warn_unknown_keys(const ini_file *ini, const log_sink *log)
{
    for (int s = SEC_ULTRAMIGRATE; s <= SEC_ALEMBIC; s++)
        for (size_t i = 0; i < ini->sec[s].n; i++)
            if (!is_known_key(ini->sec[s].v[i].name))
                log_printf(log, UM_LOG_WARNING, "%s:%d: unknown key '%s' ignored", ini->path,
                           ini->sec[s].v[i].line, ini->sec[s].v[i].name);
    if (ini->sec[SEC_ULTRAMIGRATE].n == 0 && ini->sec[SEC_ALEMBIC].n == 0)
        log_printf(log, UM_LOG_WARNING,
                   "%s: no key in [ultramigrate] or [alembic]; using the defaults", ini->path);
}

/* The section a value found only in [DEFAULT] is read in, as
 * configparser's get(section, key) would: the one the file uses. */
static int main_section(const ini_file *ini)
{
    for (int s = SEC_ULTRAMIGRATE; s <= SEC_ALEMBIC; s++)
        if (ini->sec[s].n)
            return s;
    return SEC_DEFAULT;
}

static const entry *find_key(const ini_file *ini, const key_spec *k, int *sec)
{
    for (int s = 0; s < SEC_COUNT; s++) {
        const entry *e = find_entry(ini, s, k->name);
        if (!e && k->alias)
            e = find_entry(ini, s, k->alias);
        if (e) {
            *sec = s == SEC_DEFAULT ? main_section(ini) : s;
            return e;
        }
    }
    return NULL;
}

/* Where the file's URL was, for the message if it is chosen and bad. */
typedef struct file_url {
    const char *key; /* "database_url" or "sqlalchemy.url" (static) */
    int line;
} file_url;

typedef struct setting {
    config_settings *cfg;
    const key_spec *spec;
    const entry *e; /* its key and line */
    char *value;    /* interpolated; taken by string kinds */
    file_url *url;
    err_buf *err;
} setting;

static void *field(const setting *s)
{
    return (char *)s->cfg + s->spec->offset;
}

static int bad_value(const setting *s, const char *why)
{
    return err_set(s->err, UM_ECONFIG, s->cfg->path, s->e->line, NULL, "key '%s': '%s' %s",
                   s->e->name, s->value, why);
}

static int stem_too_long(const setting *s)
{
    size_t most = MAX_IDENTIFIER_BYTES - strlen(LONGEST_DERIVED_SUFFIX);
    char why[256];
    snprintf(why, sizeof(why),
             "is %zu bytes: the names made from it (as '..." LONGEST_DERIVED_SUFFIX
             "') would pass PostgreSQL's %d-byte limit; use at most %zu bytes",
             strlen(s->value), MAX_IDENTIFIER_BYTES, most);
    return bad_value(s, why);
}

static int set_string(setting *s, bool empty_is_null)
{
    char **str = field(s);
    free(*str);
    *str = NULL;
    if (*s->value || !empty_is_null) {
        *str = s->value;
        s->value = NULL;
    }
    return UM_OK;
}

static int set_number(setting *s)
{
    int *number = field(s);
    if (s->spec->kind == KIND_COUNT)
        return parse_count(s->value, number)
                   ? UM_OK
                   : bad_value(s, "is not a whole number from 0 to 2147483647");
    switch (parse_duration(s->value, number)) {
    case DURATION_OK:
        /* a lease shorter than a round trip would be taken over at once */
        if (s->spec->offset == offsetof(config_settings, lock_lease_ms) && *number < 1000)
            return bad_value(s, "is too short a lease (at least 1s)");
        return UM_OK;
    case DURATION_TOO_LARGE:
        return bad_value(s, "is too long a duration (at most 2147483647ms, about 24 days)");
    default:
        return bad_value(s, "is not a duration (e.g. 500ms, 5s, 2min)");
    }
}

static int set_lint_mode(setting *s)
{
    int severity = lint_severity_parse(s->value);
    config_lint_mode *mode = field(s);
    if (severity < 0)
        return bad_value(s, "is not warn, error or off");
    *mode = severity == UM_LINT_ERROR ? CONFIG_LINT_ERROR
            : severity == LINT_OFF    ? CONFIG_LINT_OFF
                                      : CONFIG_LINT_WARN;
    return UM_OK;
}

static int set_backup_format(setting *s)
{
    um_backup_format *format = field(s);
    if (strcmp(s->value, "custom") == 0)
        *format = UM_BACKUP_CUSTOM;
    else if (strcmp(s->value, "plain") == 0)
        *format = UM_BACKUP_PLAIN;
    else
        return bad_value(s, "is not custom or plain");
    return UM_OK;
}

static int set_lock_mode(setting *s)
{
    config_lock_mode *mode = field(s);
    if (strcmp(s->value, "advisory") == 0)
        *mode = CONFIG_LOCK_ADVISORY;
    else if (strcmp(s->value, "table") == 0)
        *mode = CONFIG_LOCK_TABLE;
    else
        return bad_value(s, "is not advisory or table");
    return UM_OK;
}

static int set_value(setting *s)
{
    key_kind kind = s->spec->kind;

    if ((kind == KIND_TEXT || kind == KIND_IDENTIFIER || kind == KIND_TABLE_STEM) && !*s->value)
        return bad_value(s, "is empty; give a value or remove the key");
    switch (kind) {
    case KIND_TABLE_STEM:
        if (strlen(s->value) + strlen(LONGEST_DERIVED_SUFFIX) > MAX_IDENTIFIER_BYTES)
            return stem_too_long(s);
        /* fall through */
    case KIND_IDENTIFIER:
        if (strlen(s->value) > MAX_IDENTIFIER_BYTES)
            return bad_value(s, "is longer than 63 bytes (PostgreSQL's identifier limit)");
        /* fall through */
    case KIND_TEXT:
        return set_string(s, false);
    case KIND_OPTIONAL:
        return set_string(s, true);
    case KIND_BOOL:
        return parse_bool(s->value, field(s))
                   ? UM_OK
                   : bad_value(s, "is not a boolean (true/false, yes/no, on/off, 1/0)");
    case KIND_COUNT:
    case KIND_DURATION:
        return set_number(s);
    case KIND_URL:
        s->url->key = strcmp(s->e->name, s->spec->name) == 0 ? s->spec->name : s->spec->alias;
        s->url->line = s->e->line;
        return set_string(s, true);
    case KIND_LINT_MODE:
        return set_lint_mode(s);
    case KIND_BACKUP_FORMAT:
        return set_backup_format(s);
    case KIND_LOCK_MODE:
        return set_lock_mode(s);
    }
    return UM_ERROR;
}

static int add_lint_rule(config_settings *cfg, const entry *e, const char *value, err_buf *err)
{
    const char *id = e->name + strlen(LINT_KEY_PREFIX);
    int rule = lint_rule_find(id);
    int severity = lint_severity_parse(value);
    if (rule < 0)
        return err_set(err, UM_ECONFIG, cfg->path, e->line, NULL,
                       "key '%s': there is no lint rule '%s' (docs/lint.md lists them)", e->name,
                       id);
    if (severity < 0)
        return err_set(err, UM_ECONFIG, cfg->path, e->line, NULL,
                       "key '%s': '%s' is not error, warning or off", e->name, value);
    config_lint_rule *v = realloc(cfg->lint_rules, (cfg->n_lint_rules + 1) * sizeof(*v));
    if (!v)
        return err_nomem(err);
    cfg->lint_rules = v;
    v[cfg->n_lint_rules++] = (config_lint_rule){ rule, severity };
    return UM_OK;
}

/* [alembic] first, so that [ultramigrate]'s keys, added later, win. */
static int apply_lint_keys(config_settings *cfg, const ini_file *ini, err_buf *err)
{
    for (int s = SEC_ALEMBIC; s >= SEC_ULTRAMIGRATE; s--)
        for (size_t i = 0; i < ini->sec[s].n; i++) {
            const entry *e = &ini->sec[s].v[i];
            char *value = NULL;
            if (!is_lint_key(e->name))
                continue;
            int rc = interpolate(ini, s, e, &value, err);
            if (!rc)
                rc = add_lint_rule(cfg, e, value, err);
            free(value);
            if (rc)
                return rc;
        }
    return UM_OK;
}

static int apply_keys(config_settings *cfg, const ini_file *ini, file_url *url, err_buf *err)
{
    for (size_t i = 0; i < N_KNOWN_KEYS; i++) {
        int sec;
        const entry *e = find_key(ini, &known_keys[i], &sec);
        if (!e)
            continue;
        setting s = { cfg, &known_keys[i], e, NULL, url, err };
        int rc = interpolate(ini, sec, e, &s.value, err);
        if (!rc)
            rc = set_value(&s);
        free(s.value);
        if (rc)
            return rc;
    }
    return UM_OK;
}

/* ------------------------------------------------------------------ */
/* The file                                                             */
/* ------------------------------------------------------------------ */

/* Absolute, symlinks resolved, so "%(here)s" is stable whatever the
 * current directory is when the paths built from it are used. */
static int set_here(config_settings *cfg, err_buf *err)
{
    const char *slash = strrchr(cfg->path, '/');
    char *dir = slash ? strndup(cfg->path, (size_t)(slash - cfg->path)) : strdup(".");
    if (!dir)
        return err_nomem(err);
    char *real = realpath(*dir ? dir : "/", NULL);
    int errnum = errno;
    free(dir);
    if (!real)
        return err_set(err, UM_ECONFIG, cfg->path, 0, NULL,
                       "cannot resolve the file's directory: %s", strerror(errnum));
    free(cfg->here);
    cfg->here = real;
    return UM_OK;
}

/* Alembic refuses a -n section the file lacks; inih shows only keys, so an
 * empty one is missing too. */
static int check_section(const ini_file *ini, err_buf *err)
{
    if (!ini->section || ini->sec[SEC_ULTRAMIGRATE].n)
        return UM_OK;
    return err_set(err, UM_ECONFIG, ini->path, 0, NULL, "no [%s] section (or it has no key)",
                   ini->section);
}

/*
 * An Alembic project's file (an [alembic] section): the state is in
 * Alembic's own table unless a key names another, so that a database
 * Alembic manages is read where it is, nothing run again, and both tools
 * read and write the same rows during the switch.
 */
static int alembic_defaults(config_settings *cfg, const ini_file *ini, err_buf *err)
{
    if (!ini->sec[SEC_ALEMBIC].n)
        return UM_OK;
    char *table = strdup("alembic_version");
    if (!table)
        return err_nomem(err);
    free(cfg->version_table);
    cfg->version_table = table;
    return UM_OK;
}

static int load_file(config_settings *cfg, const char *path, const char *section,
                     const log_sink *log, file_url *url, err_buf *err)
{
    ini_file ini = { .path = path, .section = section };
    char *text;
    size_t len;
    /* a FIFO, a device, a huge or binary file is refused before inih
     * reads a line of it (see textfile.h) */
    int rc = textfile_read(&text, &len, path, &textfile_config, false, err);
    if (rc)
        return rc;
    FILE *fp = fmemopen(text, len, "r");
    if (!fp) {
        free(text);
        return cannot_read(path, errno, err);
    }
    rc = parse_file(&ini, fp, err);
    fclose(fp);
    free(text);
    if (!rc)
        rc = check_section(&ini, err);
    if (rc)
        goto done;
    cfg->path = strdup(path);
    if (!cfg->path) {
        rc = err_nomem(err);
        goto done;
    }
    rc = set_here(cfg, err);
    if (rc)
        goto done;
    ini.here = cfg->here;
    warn_unknown_keys(&ini, log);
    rc = alembic_defaults(cfg, &ini, err);
    if (!rc)
        rc = apply_keys(cfg, &ini, url, err);
    if (!rc)
        rc = apply_lint_keys(cfg, &ini, err);
done:
    ini_file_free(&ini);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The database URL                                                     */
/* ------------------------------------------------------------------ */

/* Length of the URI scheme that @url starts with ("scheme://"), 0: none. */
static size_t scheme_length(const char *url)
{
    size_t n = 0;
    if (!isalpha((unsigned char)url[0]))
        return 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
        n++;
    return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

static bool is_postgres_scheme(const char *scheme, size_t n)
{
    /* Alembic's "postgresql+psycopg2": the driver means nothing to libpq. */
    const char *plus = memchr(scheme, '+', n);
    size_t base = plus ? (size_t)(plus - scheme) : n;
    return (base == 10 && strncasecmp(scheme, "postgresql", 10) == 0) ||
           (base == 8 && strncasecmp(scheme, "postgres", 8) == 0);
}

/* A copy of @url that libpq accepts, in *@out; key=value strings pass. */
static int normalise_url(const char *url, char **out, size_t *bad_scheme)
{
    size_t n = scheme_length(url);
    *bad_scheme = 0;
    if (n && !is_postgres_scheme(url, n)) {
        *bad_scheme = n;
        return UM_ECONFIG;
    }
    strbuf sb = STRBUF_INIT;
    if (n)
        sb_printf(&sb, "postgresql%s", url + n);
    else
        sb_puts(&sb, url);
    *out = sb_detach(&sb);
    return *out ? UM_OK : UM_ENOMEM;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

#define SCHEME_FMT "unsupported scheme '%.*s'; ultramigrate needs postgresql://"

/* Names where the URL came from, never the URL (it may hold a password). */
static int unsupported_scheme(const config_settings *cfg, const char *url, size_t n,
                              const file_url *furl, err_buf *err)
{
    if (strcmp(cfg->url_source, "config file") == 0)
        return err_set(err, UM_ECONFIG, cfg->path, furl->line, NULL, "key '%s': " SCHEME_FMT,
                       furl->key, (int)n, url);
    return err_set(err, UM_ECONFIG, NULL, 0, NULL, "%s: " SCHEME_FMT, cfg->url_source, (int)n, url);
}

static int resolve_url(config_settings *cfg, const char *url_override, const file_url *furl,
                       err_buf *err)
{
    static const char *const env_vars[] = { "ULTRAMIGRATE_DATABASE_URL", "DATABASE_URL" };
    const char *url = nonempty(url_override);
    const char *source = "command line";

    for (size_t i = 0; !url && i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        url = nonempty(getenv(source = env_vars[i]));
    if (!url && cfg->database_url)
        url = cfg->database_url, source = "config file";
    if (!url) {
        cfg->url_source = "libpq environment";
        return UM_OK;
    }
    cfg->url_source = source;

    char *normal = NULL;
    size_t bad_scheme;
    int rc = normalise_url(url, &normal, &bad_scheme);
    if (rc == UM_ECONFIG)
        return unsupported_scheme(cfg, url, bad_scheme, furl, err);
    if (rc)
        return err_nomem(err);
    free(cfg->database_url);
    cfg->database_url = normal;
    return UM_OK;
}

/* ------------------------------------------------------------------ */
/* Public functions                                                     */
/* ------------------------------------------------------------------ */

static int set_defaults(config_settings *cfg, err_buf *err)
{
    *cfg = (config_settings){
        .here = strdup("."),
        .script_location = strdup("migrations"),
        .url_source = "libpq environment",
        .file_template = strdup("%(rev)s_%(slug)s"),
        .truncate_slug_length = 40,
        /* Replicas starting together queue behind the one migrating rather
         * than fail; a run stuck longer than this is worth an error. */
        .lock_wait_ms = 60000,
        /* lock_mode = table: longer than most revisions run (the lease is
         * renewed with each), short enough that a killed run's lock is
         * taken over the same morning */
        .lock_lease_ms = 600000,
        /* a probe answers at once, even behind a lock on the tables */
        .health_timeout_ms = 2000,
        .transaction_per_migration = true,
        .version_table = strdup("ultramigrate_version"),
        .version_table_schema = strdup("public"),
        .header_cache = true,
        .compare_type = true,
        .compare_server_default = true,
        .backup_format = UM_BACKUP_CUSTOM,
    };
    if (!cfg->here || !cfg->script_location || !cfg->file_template || !cfg->version_table ||
        !cfg->version_table_schema)
        return err_nomem(err);
    return UM_OK;
}

int config_init_defaults(config_settings *cfg, err_buf *err)
{
    return config_load(cfg, NULL, NULL, NULL, err);
}

int config_load(config_settings *cfg, const char *path, const char *url_override,
                const log_sink *log, err_buf *err)
{
    return config_load_section(cfg, path, NULL, url_override, log, err);
}

int config_load_section(config_settings *cfg, const char *path, const char *section,
                        const char *url_override, const log_sink *log, err_buf *err)
{
    file_url furl = { NULL, 0 };
    int rc = set_defaults(cfg, err);

    if (!rc && path)
        rc = load_file(cfg, path, section, log, &furl, err);
    if (!rc)
        rc = resolve_url(cfg, url_override, &furl, err);
    if (rc)
        config_free(cfg);
    return rc;
}

void config_free(config_settings *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->here);
    free(cfg->script_location);
    free(cfg->database_url);
    free(cfg->file_template);
    free(cfg->timezone);
    free(cfg->version_table);
    free(cfg->version_table_schema);
    free(cfg->schema_file);
    free(cfg->shadow_database_url);
    free(cfg->backup_dir);
    free(cfg->pg_bin_dir);
    free(cfg->lint_rules);
    memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------ */
/* Redaction                                                            */
/* ------------------------------------------------------------------ */

#define MASK "****"

static char *redact_nested(const char *url, int depth);

/* The last '@' in [p, end), or NULL. */
static const char *last_at(const char *p, const char *end)
{
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    return at;
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

/*
 * Without an '@', "user:secret" is read by libpq as a host and a port: a
 * "port" that is not a number was meant as a password.
 */
static const char *redact_port(const char *p, strbuf *sb)
{
    size_t host_len = strcspn(p, "/?#,");
    const char *colon = *p == '[' ? NULL : memchr(p, ':', host_len);
    if (!colon || all_digits(colon + 1, host_len - (size_t)(colon + 1 - p)))
        return p;
    sb_append(sb, p, (size_t)(colon - p));
    sb_puts(sb, ":" MASK);
    return p + strcspn(p, "/?#");
}

/*
 * "user:password@" in a URL.  Where the user and password end is a guess
 * when the password holds '@', '/' or '?' unencoded: libpq reads up to an
 * '@' before the first '/', even past a '?', while a person means the last
 * '@' before the host.  The later of the two candidates masks whatever
 * either reading makes of it (a little too much, at worst).
 */
static const char *redact_userinfo(const char *p, strbuf *sb)
{
    const char *by_query = last_at(p, p + strcspn(p, "?"));
    const char *by_path = last_at(p, p + strcspn(p, "/"));
    const char *at = !by_query            ? by_path
                     : !by_path           ? by_query
                     : by_query > by_path ? by_query
                                          : by_path;
    if (!at)
        return redact_port(p, sb);
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (!colon)
        return p;
    sb_append(sb, p, (size_t)(colon - p));
    sb_puts(sb, ":" MASK);
    return at;
}

static void percent_encode(const char *p, strbuf *sb)
{
    for (; *p; p++) {
        if (isalnum((unsigned char)*p) || strchr("-._~*", *p))
            sb_putc(sb, *p);
        else
            sb_printf(sb, "%%%02X", (unsigned char)*p);
    }
}

/* A query's "dbname=VALUE": percent-decoded, a URL or a key=value string
 * is masked in turn (and shown encoded again). */
static void redact_query_dbname(const char *p, size_t n, int depth, strbuf *sb)
{
    char *d = util_percent_decode(p, n);
    char *masked = d && redact_holds_options(d) ? redact_nested(d, depth + 1) : NULL;
    if (masked)
        percent_encode(masked, sb);
    else if (!d || redact_holds_options(d))
        sb_puts(sb, MASK); /* too deep, or no memory: none of it */
    else
        sb_append(sb, p, n);
    free(masked);
    free(d);
}

/* "?a=1&password=x": libpq reads any connection keyword there. */
static void redact_query(const char *p, int depth, strbuf *sb)
{
    while (*p) {
        size_t n = strcspn(p, "&");
        if (strncmp(p, "password=", 9) == 0) {
            sb_puts(sb, "password=" MASK);
        } else if (strncmp(p, "dbname=", 7) == 0) {
            sb_puts(sb, "dbname=");
            redact_query_dbname(p + 7, n - 7, depth, sb);
        } else {
            sb_append(sb, p, n);
        }
        p += n;
        if (*p)
            sb_putc(sb, *p++);
    }
}

static void redact_uri(const char *url, size_t scheme_len, int depth, strbuf *sb)
{
    const char *p = url + scheme_len + 3;
    sb_append(sb, url, scheme_len + 3);
    p = redact_userinfo(p, sb);
    size_t n = strcspn(p, "?");
    sb_append(sb, p, n);
    if (p[n]) {
        sb_putc(sb, '?');
        redact_query(p + n + 1, depth, sb);
    }
}

static const char *skip_space(const char *p, strbuf *sb)
{
    size_t n = strspn(p, " \t\n\r\f\v");
    sb_append(sb, p, n);
    return p + n;
}

/* End of a conninfo value: quoted with backslash escapes, or bare. */
static const char *value_end(const char *p)
{
    if (*p != '\'')
        return p + strcspn(p, " \t\n\r\f\v");
    for (p++; *p && *p != '\''; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

/* A key=value string's dbname: a URL or key=value string in it is masked
 * in turn (a quoted one is shown masked whole). */
static void redact_kv_dbname(const char *p, const char *end, int depth, strbuf *sb)
{
    char *value = strndup(p, (size_t)(end - p));
    if (value && !redact_holds_options(value)) {
        sb_puts(sb, value);
    } else if (value && *value != '\'') {
        char *masked = redact_nested(value, depth + 1);
        sb_puts(sb, masked ? masked : MASK);
        free(masked);
    } else {
        sb_puts(sb, "'" MASK "'");
    }
    free(value);
}

/* libpq's "key = value ..." form. */
static void redact_conninfo(const char *p, int depth, strbuf *sb)
{
    while (*(p = skip_space(p, sb))) {
        size_t key_len = strcspn(p, "= \t\n\r\f\v");
        bool is_password = key_len == 8 && strncmp(p, "password", 8) == 0;
        bool is_dbname = key_len == 6 && strncmp(p, "dbname", 6) == 0;
        sb_append(sb, p, key_len);
        p = skip_space(p + key_len, sb);
        if (*p != '=')
            continue; /* malformed (libpq will say so): mask on */
        sb_putc(sb, '=');
        p = skip_space(p + 1, sb);
        const char *end = value_end(p);
        if (is_password)
            sb_puts(sb, MASK);
        else if (is_dbname)
            redact_kv_dbname(p, end, depth, sb);
        else
            sb_append(sb, p, (size_t)(end - p));
        p = end;
    }
}

/* @url masked; NULL when out of memory or nested too deep (REDACT_MAX_NESTING
 * dbnames holding options). */
static char *redact_nested(const char *url, int depth)
{
    if (depth > REDACT_MAX_NESTING)
        return NULL;
    strbuf sb = STRBUF_INIT;
    size_t scheme_len = scheme_length(url);
    if (scheme_len)
        redact_uri(url, scheme_len, depth, &sb);
    else
        redact_conninfo(url, depth, &sb);
    return sb_detach(&sb);
}

char *config_redact_url(const char *url)
{
    return url ? redact_nested(url, 1) : NULL;
}
