/*
 * autogen_types.c - enums, domains, composite and range types: which are
 * altered in place and which swapped for a new definition (renamed out of
 * the way, made again, their columns moved across), and the statements.
 *
 * Apart from the run because a swap is a small migration of its own, with
 * its own rules about what the server can alter (labels only appended,
 * attributes only in order, ranges never).
 */
#include <stdlib.h>
#include <string.h>

#include "autogen_diff_internal.h"

/* ---- decisions: which types are swapped --------------------------------- */

/* The suffix a type (enum, composite, range) takes while it is swapped
 * for its new definition. */
#define ENUM_OLD_SUFFIX "__ultramigrate_old"

/* An enum column's type (or array of it) is @type_key. */
static bool of_type(const sm_object *col, const char *type_key)
{
    const char *type = sm_attr(col, SM_COL_TYPE);
    size_t n = strlen(type_key);
    return type && strncmp(type, type_key, n) == 0 &&
           (type[n] == '\0' || strcmp(type + n, "[]") == 0);
}

static bool domain_swapped(const diff_run *r, const sm_object *dom);

/* Whether @uses(@subject, key) holds for the key of an enum, composite or
 * range type that is swapped for a new one, or of a domain over one. */
static bool uses_swapped_type(const diff_run *r, bool (*uses)(const void *, const char *),
                              const void *subject)
{
    static const sm_kind kinds[] = { SM_ENUM, SM_COMPOSITE, SM_RANGE };
    for (size_t k = 0; k < 3; k++) {
        const bool *swapped = kinds[k] == SM_ENUM        ? r->enum_swapped
                              : kinds[k] == SM_COMPOSITE ? r->composite_swapped
                                                         : r->range_swapped;
        for (size_t i = 0; i < sm_count(r->from, kinds[k]); i++)
            if (swapped[i] && uses(subject, sm_at(r->from, kinds[k], i)->key))
                return true;
    }
    for (size_t i = 0; i < sm_count(r->from, SM_DOMAIN); i++) {
        const sm_object *d = sm_at(r->from, SM_DOMAIN, i);
        /* @uses first: only then down the chain of base types */
        if (uses(subject, d->key) && domain_swapped(r, d))
            return true;
    }
    return false;
}

/* A domain's base type (or array of it) is @type_key. */
static bool domain_of_type(const void *dom, const char *type_key)
{
    const char *base = sm_attr(dom, SM_DOMAIN_BASE);
    size_t n = strlen(type_key);
    return base && strncmp(base, type_key, n) == 0 &&
           (base[n] == '\0' || strcmp(base + n, "[]") == 0);
}

/* The kept domain @dom's own base type or collation changes, which ALTER
 * DOMAIN cannot do. */
static bool domain_rebased(const diff_run *r, const sm_object *dom)
{
    const sm_object *t = diff_twin(r->to, dom);
    return t &&
           (!diff_attr_eq(dom, t, SM_DOMAIN_BASE) || !diff_attr_eq(dom, t, SM_DOMAIN_COLLATION));
}

/* A column of the from-model holds an array of the domain @key, or of a
 * domain over it (the server checks those too).  Domains over domains
 * make a chain that ends, so the recursion does. */
static bool domain_in_array(const diff_run *r, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const char *type = sm_attr(sm_at(r->from, SM_COLUMN, i), SM_COL_TYPE);
        if (type && strncmp(type, key, n) == 0 && strcmp(type + n, "[]") == 0)
            return true;
    }
    for (size_t i = 0; i < sm_count(r->from, SM_DOMAIN); i++) {
        const sm_object *d = sm_at(r->from, SM_DOMAIN, i);
        const char *base = sm_attr(d, SM_DOMAIN_BASE);
        if (base && strcmp(base, key) == 0 && domain_in_array(r, d->key))
            return true;
    }
    return false;
}

/* The kept domain @dom is to check its values anew (NOT NULL set, a check
 * added or validated) while a column holds an array of it: ALTER DOMAIN
 * refuses that (it does not look into arrays), so the domain is swapped. */
static bool domain_rechecked_in_array(const diff_run *r, const sm_object *dom)
{
    const sm_object *t = diff_twin(r->to, dom);
    if (!t || !domain_in_array(r, dom->key))
        return false;
    if (!diff_is_true(sm_attr(dom, SM_DOMAIN_NOTNULL)) &&
        diff_is_true(sm_attr(t, SM_DOMAIN_NOTNULL)))
        return true;
    bool added = false;
    FOR_EACH_ITEM(sm_attr(t, SM_DOMAIN_CHECKS), item, len)
    {
        char *whole = strndup(item, len);
        added = added || !whole || !diff_list_has(sm_attr(dom, SM_DOMAIN_CHECKS), whole);
        free(whole);
    }
    return added;
}

/* The from-domain @dom, kept, is swapped for a new one: its base type or
 * collation changes, it is over a type that is swapped (its base type
 * cannot be altered), or it is checked anew under an array column.
 * Domains over domains make a chain that ends, so the recursion does. */
static bool domain_swapped(const diff_run *r, const sm_object *dom)
{
    return diff_twin(r->to, dom) &&
           (domain_rebased(r, dom) || uses_swapped_type(r, domain_of_type, dom) ||
            domain_rechecked_in_array(r, dom));
}

bool diff_domain_swapped(const diff_run *r, const sm_object *dom)
{
    return domain_swapped(r, dom);
}

static bool column_of_type(const void *col, const char *type_key)
{
    return of_type(col, type_key);
}

/* The column's type is swapped for a new one: the column is moved to it,
 * so views over it are rebuilt. */
bool diff_type_swapped(const diff_run *r, const sm_object *col)
{
    return uses_swapped_type(r, column_of_type, col);
}

/* @from's labels appear in @to in the same order: ADD VALUE suffices. */
static bool labels_extend(const char *from, const char *to)
{
    const char *p = to;
    FOR_EACH_ITEM(from, item, len)
    {
        bool found = false;
        while (p && *p && !found) {
            size_t l = strcspn(p, "\n");
            found = l == len && strncmp(p, item, len) == 0;
            p += l + (p[l] == '\n');
        }
        if (!found)
            return false;
    }
    return true;
}

/* Where the server renders a label as a value of its type: what an
 * object of @m made with it would hold. */
static const struct {
    sm_kind kind;
    size_t attr;
} label_users[] = {
    { SM_CONSTRAINT, SM_CON_DEF },   { SM_INDEX, SM_INDEX_DEF },
    { SM_VIEW, SM_VIEW_DEF },        { SM_COLUMN, SM_COL_DEFAULT },
    { SM_COLUMN, SM_COL_GENERATED }, { SM_DOMAIN, SM_DOMAIN_DEFAULT },
    { SM_DOMAIN, SM_DOMAIN_CHECKS }, { SM_TRIGGER, SM_TRIGGER_DEF },
    { SM_POLICY, SM_POLICY_DEF },
};

/* Some definition of @m holds @label ('x', quoted) as a value of the
 * enum @key ('x'::public.e). */
static bool label_used(const sm_model *m, const char *label, size_t len, const char *key)
{
    strbuf needle = STRBUF_INIT;
    bool used = false;
    sb_printf(&needle, "%.*s::%s", (int)len, label, key);
    for (size_t u = 0; sb_str(&needle) && !used && u < sizeof(label_users) / sizeof(label_users[0]);
         u++)
        for (size_t i = 0; !used && i < sm_count(m, label_users[u].kind); i++) {
            const char *def = sm_attr(sm_at(m, label_users[u].kind, i), label_users[u].attr);
            const char *p = def ? strstr(def, sb_str(&needle)) : NULL;
            /* not a longer name: public.e2, public.e_x */
            char next = p ? p[needle.len] : '\0';
            used = p && !(next && strchr(".$_", next)) && !(next >= 'a' && next <= 'z') &&
                   !(next >= '0' && next <= '9');
        }
    sb_free(&needle);
    return used;
}

/* A label of @t that @f lacks is used by a definition of @to: each such
 * definition is made by the revision (none could hold the label before),
 * and PostgreSQL refuses a label added in the same transaction ("unsafe
 * use of new value"), so the type is swapped instead. */
static bool new_label_used(const sm_model *to, const sm_object *f, const sm_object *t)
{
    FOR_EACH_ITEM(sm_attr(t, SM_ENUM_LABELS), item, len)
    {
        char *label = strndup(item, len);
        bool used = label && !diff_list_has(sm_attr(f, SM_ENUM_LABELS), label) &&
                    label_used(to, item, len, t->key);
        free(label);
        if (used)
            return true;
    }
    return false;
}

void diff_decide_enums(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_ENUM); i++) {
        const sm_object *f = sm_at(r->from, SM_ENUM, i), *t = diff_twin(r->to, f);
        r->enum_swapped[i] =
            t && (!labels_extend(sm_attr(f, SM_ENUM_LABELS), sm_attr(t, SM_ENUM_LABELS)) ||
                  new_label_used(r->to, f, t));
    }
}

/* The item of @list whose name is that of @item (@nlen long), or NULL;
 * its length in *@len. */
static const char *item_named(const char *list, const char *item, size_t nlen, size_t *len)
{
    FOR_EACH_ITEM(list, p, l)
    {
        if (diff_item_name_len(p, l) == nlen && strncmp(p, item, nlen) == 0) {
            *len = l;
            return p;
        }
    }
    return NULL;
}

/* ALTER TYPE ... DROP/ADD/ALTER ATTRIBUTE reaches @to's attributes in
 * @to's order: kept ones keep their order and new ones come last.  An
 * attribute retyped under a column of the type is not allowed either. */
static bool attributes_alterable(const diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_COMPOSITE_ATTRS), *to = sm_attr(t, SM_COMPOSITE_ATTRS);
    bool added = false, retyped = false, in_order = true;
    const char *last = from;
    FOR_EACH_ITEM(to, item, len)
    {
        size_t flen = 0, nlen = diff_item_name_len(item, len);
        const char *old = item_named(from, item, nlen, &flen);
        if (!old) {
            added = true;
            continue;
        }
        /* a kept attribute after a new one, or before an earlier kept one */
        in_order = in_order && !added && old >= last;
        last = old;
        retyped = retyped || flen != len || strncmp(old, item, len) != 0;
    }
    if (!in_order)
        return false;
    for (size_t i = 0; retyped && i < sm_count(r->from, SM_COLUMN); i++)
        if (of_type(sm_at(r->from, SM_COLUMN, i), f->key))
            return false;
    return true;
}

void diff_decide_types(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COMPOSITE); i++) {
        const sm_object *f = sm_at(r->from, SM_COMPOSITE, i), *t = diff_twin(r->to, f);
        r->composite_swapped[i] = t && !attributes_alterable(r, f, t);
    }
    /* a range type cannot be altered: any change makes it again */
    for (size_t i = 0; i < sm_count(r->from, SM_RANGE); i++) {
        const sm_object *f = sm_at(r->from, SM_RANGE, i), *t = diff_twin(r->to, f);
        r->range_swapped[i] = t && !diff_same_definition(f, t);
    }
}

/* @def (a check or an index) casts to a type that is swapped: it would
 * not survive its columns moving to the new type. */
static bool def_names_type(const void *def, const char *type_key)
{
    return diff_names_type(def, type_key);
}

bool diff_reads_swapped_type(const diff_run *r, const char *def)
{
    return uses_swapped_type(r, def_names_type, def);
}

/* ---- phase: types made, altered and swapped ----------------------------- */

static void enum_create(diff_run *r, const sm_object *t)
{
    sb_printf(r->out, "CREATE TYPE %s AS ENUM (", t->key);
    bool first = true;
    FOR_EACH_ITEM(sm_attr(t, SM_ENUM_LABELS), item, len)
    {
        sb_printf(r->out, "%s%.*s", first ? "" : ", ", (int)len, item);
        first = false;
    }
    sb_puts(r->out, ");\n");
}

/* ADD VALUE for each label of @t that @f lacks, placed before the next
 * label @f has (or at the end). */
static void enum_add_values(diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_ENUM_LABELS);
    FOR_EACH_ITEM(sm_attr(t, SM_ENUM_LABELS), item, len)
    {
        char *label = strndup(item, len);
        if (!label) {
            r->out->failed = true;
            return;
        }
        if (!diff_list_has(from, label)) {
            const char *before = NULL;
            size_t before_len = 0;
            for (const char *p = item + len + (item[len] == '\n'); p && *p && !before;) {
                size_t l = strcspn(p, "\n");
                char *next = strndup(p, l);
                if (next && diff_list_has(from, next)) {
                    before = p;
                    before_len = l;
                }
                free(next);
                p += l + (p[l] == '\n');
            }
            if (before)
                diff_stmt(r, "ALTER TYPE %s ADD VALUE %s BEFORE %.*s", t->key, label,
                          (int)before_len, before);
            else
                diff_stmt(r, "ALTER TYPE %s ADD VALUE %s", t->key, label);
        }
        free(label);
    }
}

/* "name" + suffix as an identifier: inside the quotes of a quoted one. */
static void suffixed_name(strbuf *sb, const char *name, const char *suffix)
{
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '"')
        sb_printf(sb, "%.*s%s\"", (int)(len - 1), name, suffix);
    else
        sb_printf(sb, "%s%s", name, suffix);
}

/* The type @key (named @name) renamed out of the way (ALTER @word);
 * @old gets its new qualified key. */
static void rename_old(diff_run *r, const char *word, const char *key, const char *name,
                       strbuf *old)
{
    strbuf old_name = STRBUF_INIT;
    diff_schema_of(old, key, name);
    sb_putc(old, '.');
    suffixed_name(&old_name, name, ENUM_OLD_SUFFIX);
    sb_puts(old, sb_str(&old_name) ? sb_str(&old_name) : "");
    diff_stmt(r, "ALTER %s %s RENAME TO %s", word, key, sb_str(&old_name) ? sb_str(&old_name) : "");
    if (sb_failed(old) || sb_failed(&old_name))
        r->out->failed = true;
    sb_free(&old_name);
}

/* ROW(...) of a composite value @col from the attributes of @f to those
 * of @t: a kept attribute cast to its new type, a new one NULL.  Through
 * text a row with another number of attributes would not cast. */
static void composite_using(diff_run *r, const char *col, const sm_object *f, const sm_object *t)
{
    bool first = true;
    sb_puts(r->out, "ROW(");
    FOR_EACH_ITEM(sm_attr(t, SM_COMPOSITE_ATTRS), item, len)
    {
        size_t nlen = diff_item_name_len(item, len), flen = 0;
        const char *type = item + nlen + (nlen < len);
        size_t tlen = (size_t)(item + len - type);
        const char *collate = strstr(type, " COLLATE ");
        if (collate && collate < item + len)
            tlen = (size_t)(collate - type);
        sb_puts(r->out, first ? "" : ", ");
        first = false;
        if (item_named(sm_attr(f, SM_COMPOSITE_ATTRS), item, nlen, &flen))
            sb_printf(r->out, "(%s).%.*s::%.*s", col, (int)nlen, item, (int)tlen, type);
        else
            sb_printf(r->out, "NULL::%.*s", (int)tlen, type);
    }
    sb_putc(r->out, ')');
}

static void domain_create(diff_run *r, const sm_object *t);
static void move_columns(diff_run *r, const sm_object *f, const sm_object *t, const strbuf *old);

typedef void type_create_fn(diff_run *r, const sm_object *t);

/* The type or domain @f swapped for @t: renamed out of the way, @t made
 * by @create, every column (and the domains over @f) moved to it, the
 * old one dropped (move_columns).  @why, a format with one %s for the
 * type's name, is the warning a destructive swap gives; NULL for a
 * domain that only follows the type under it. */
static void swap_type(diff_run *r, const sm_object *f, const sm_object *t, type_create_fn *create,
                      const char *why)
{
    strbuf old = STRBUF_INIT;
    if (why)
        diff_destructive(r, why, t->key);
    rename_old(r, f->kind == SM_DOMAIN ? "DOMAIN" : "TYPE", f->key, f->name, &old);
    create(r, t);
    move_columns(r, f, t, &old);
    sb_free(&old);
}

/* The domains over the swapped type @f swapped in turn, before the old
 * type goes: renamed, made again over the new type, their columns moved. */
static void swap_domains_over(diff_run *r, const sm_object *f)
{
    for (size_t i = 0; i < sm_count(r->from, SM_DOMAIN); i++) {
        const sm_object *d = sm_at(r->from, SM_DOMAIN, i);
        if (domain_of_type(d, f->key) && domain_swapped(r, d))
            swap_type(r, d, diff_twin(r->to, d), domain_create, NULL);
    }
}

/* Every kept column of the type @f moved to its new definition @t (made
 * already) through text, the domains over it swapped, then the renamed
 * old type @old dropped. */
static void move_columns(diff_run *r, const sm_object *f, const sm_object *t, const strbuf *old)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = diff_twin(r->to, c);
        if (!of_type(c, f->key) || diff_column_gone(r, c) || !of_type(tc, t->key))
            continue;
        bool array = strcmp(sm_attr(c, SM_COL_TYPE), f->key) != 0;
        if (sm_attr(c, SM_COL_DEFAULT))
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", c->table, c->name);
        sb_printf(r->out, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING ", c->table, c->name,
                  sm_attr(tc, SM_COL_TYPE));
        if (f->kind == SM_COMPOSITE && !array)
            composite_using(r, c->name, f, t);
        else
            sb_printf(r->out, "%s::text%s", c->name, array ? "[]" : "");
        diff_stmt(r, "::%s", sm_attr(tc, SM_COL_TYPE));
        if (sm_attr(tc, SM_COL_DEFAULT))
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", c->table, c->name,
                      sm_attr(tc, SM_COL_DEFAULT));
    }
    swap_domains_over(r, f);
    diff_stmt(r, "DROP %s %s", f->kind == SM_DOMAIN ? "DOMAIN" : "TYPE",
              sb_str(old) ? sb_str(old) : "");
}

void diff_enums(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_ENUM); i++) {
        const sm_object *t = sm_at(r->to, SM_ENUM, i), *f = diff_twin(r->from, t);
        diff_about(r, t);
        if (!f)
            enum_create(r, t);
        else if (r->enum_swapped[diff_index_of(r->from, f)])
            swap_type(r, f, t, enum_create,
                      "enum %s is made again (a label removed or reordered, or a new one used"
                      " in this revision); rows holding a removed label fail the cast");
        else if (!diff_attr_eq(f, t, SM_ENUM_LABELS))
            enum_add_values(r, f, t);
    }
}

/* The domain check @item (@len long, of the to-model) calls a function
 * this run makes: it is added once the functions are made
 * (diff_domain_calls_after_functions), which come after the domains
 * (they may take them). */
static bool check_after_functions(const diff_run *r, const char *item, size_t len)
{
    char *def = strndup(item, len);
    bool after = !def || diff_calls_made_function(r, def);
    free(def);
    return after;
}

/* The domain check @item (@len long, of the from-model) calls a function
 * dropped to be made again, or that goes: it goes first
 * (diff_release_domain_calls). */
static bool check_released(const diff_run *r, const char *item, size_t len)
{
    char *def = strndup(item, len);
    bool released = !def || diff_calls_refreshed_function(r, def);
    free(def);
    return released;
}

/* The to-domain @t's default calls a function this run makes: set once
 * the functions are made (diff_domain_calls_after_functions). */
static bool default_after_functions(const diff_run *r, const sm_object *t)
{
    return diff_calls_made_function(r, sm_attr(t, SM_DOMAIN_DEFAULT));
}

/* The from-domain @f's default calls a function dropped to be made again,
 * or that goes: it goes first (diff_release_domain_calls). */
static bool default_released(const diff_run *r, const sm_object *f)
{
    return diff_calls_refreshed_function(r, sm_attr(f, SM_DOMAIN_DEFAULT));
}

/* A domain check "name CHECK (...) NOT VALID". */
static bool not_valid(const char *item, size_t len)
{
    static const char suffix[] = " NOT VALID";
    size_t n = sizeof(suffix) - 1;
    return len > n && strncmp(item + len - n, suffix, n) == 0;
}

static void domain_create(diff_run *r, const sm_object *t)
{
    sb_printf(r->out, "CREATE DOMAIN %s AS %s", t->key, sm_attr(t, SM_DOMAIN_BASE));
    if (sm_attr(t, SM_DOMAIN_COLLATION))
        sb_printf(r->out, " COLLATE %s", sm_attr(t, SM_DOMAIN_COLLATION));
    if (sm_attr(t, SM_DOMAIN_DEFAULT) && !default_after_functions(r, t))
        sb_printf(r->out, " DEFAULT %s", sm_attr(t, SM_DOMAIN_DEFAULT));
    if (diff_is_true(sm_attr(t, SM_DOMAIN_NOTNULL)))
        sb_puts(r->out, " NOT NULL");
    FOR_EACH_ITEM(sm_attr(t, SM_DOMAIN_CHECKS), item, len)
    if (!not_valid(item, len) && !check_after_functions(r, item, len))
        sb_printf(r->out, " CONSTRAINT %.*s", (int)len, item);
    sb_puts(r->out, ";\n");
    /* CREATE DOMAIN has no NOT VALID: those are added after */
    FOR_EACH_ITEM(sm_attr(t, SM_DOMAIN_CHECKS), item, len)
    if (not_valid(item, len) && !check_after_functions(r, item, len))
        diff_stmt(r, "ALTER DOMAIN %s ADD CONSTRAINT %.*s", t->key, (int)len, item);
}

/* The item of the checks @list that @item (@len long, of the other model)
 * is with " NOT VALID" (@from_side: @list is the from-model's) or without
 * (the to-model's): the check is validated where it stands. */
static bool check_validated(const char *list, const char *item, size_t len, bool from_side)
{
    FOR_EACH_ITEM(list, other, olen)
    {
        if (from_side ? diff_validates(other, olen, item, len)
                      : diff_validates(item, len, other, olen))
            return true;
    }
    return false;
}

/* Domain checks of @a missing from @b: dropped (@drop: @a is the
 * from-domain) or added; one that only loses its NOT VALID is validated
 * instead. */
static void domain_checks(diff_run *r, const sm_object *a, const sm_object *b, bool drop)
{
    FOR_EACH_ITEM(sm_attr(a, SM_DOMAIN_CHECKS), item, len)
    {
        char *whole = strndup(item, len);
        if (!whole) {
            r->out->failed = true;
            return;
        }
        size_t n = diff_item_name_len(item, len);
        const char *others = sm_attr(b, SM_DOMAIN_CHECKS);
        /* kept, or validated when the to-domain's checks are added */
        bool kept =
            diff_list_has(others, whole) || (drop && check_validated(others, item, len, false));
        if (!kept && drop && !check_released(r, item, len))
            diff_stmt(r, "ALTER DOMAIN %s DROP CONSTRAINT %.*s", a->key, (int)n, item);
        else if (!kept && !drop && check_validated(others, item, len, true))
            diff_stmt(r, "ALTER DOMAIN %s VALIDATE CONSTRAINT %.*s", a->key, (int)n, item);
        else if (!kept && !drop && !check_after_functions(r, item, len))
            diff_stmt(r, "ALTER DOMAIN %s ADD CONSTRAINT %s", a->key, whole);
        free(whole);
    }
}

void diff_domains(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_DOMAIN); i++) {
        const sm_object *t = sm_at(r->to, SM_DOMAIN, i), *f = diff_twin(r->from, t);
        if (f && domain_swapped(r, f)) {
            /* one over a swapped type goes with it (swap_domains_over) */
            if (!uses_swapped_type(r, domain_of_type, f)) {
                diff_about(r, t);
                swap_type(r, f, t, domain_create,
                          "domain %s is made again (a new base type or collation, or a new"
                          " check under an array column); values that do not fit fail the cast");
            }
            continue;
        }
        diff_about(r, t);
        if (!f || diff_fresh(r, t)) {
            domain_create(r, t);
            continue;
        }
        if (!diff_attr_eq(f, t, SM_DOMAIN_DEFAULT)) {
            if (sm_attr(t, SM_DOMAIN_DEFAULT) && !default_after_functions(r, t))
                diff_stmt(r, "ALTER DOMAIN %s SET DEFAULT %s", t->key,
                          sm_attr(t, SM_DOMAIN_DEFAULT));
            else if (!sm_attr(t, SM_DOMAIN_DEFAULT) && !default_released(r, f))
                diff_stmt(r, "ALTER DOMAIN %s DROP DEFAULT", t->key);
        }
        if (!diff_attr_eq(f, t, SM_DOMAIN_NOTNULL))
            diff_stmt(r, "ALTER DOMAIN %s %s NOT NULL", t->key,
                      diff_is_true(sm_attr(t, SM_DOMAIN_NOTNULL)) ? "SET" : "DROP");
        domain_checks(r, f, t, true);
        domain_checks(r, t, f, false);
    }
}

/* Before the functions they call are dropped to be made again (or go):
 * the domain checks and defaults that call them, of every domain, as none
 * could go or be renamed for a swap under them. */
void diff_release_domain_calls(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->from, SM_DOMAIN); i++) {
        const sm_object *f = sm_at(r->from, SM_DOMAIN, i);
        if (default_released(r, f)) {
            diff_about(r, f);
            diff_stmt(r, "ALTER DOMAIN %s DROP DEFAULT", f->key);
        }
        FOR_EACH_ITEM(sm_attr(f, SM_DOMAIN_CHECKS), item, len)
        {
            if (!check_released(r, item, len))
                continue;
            diff_about(r, f);
            diff_stmt(r, "ALTER DOMAIN %s DROP CONSTRAINT %.*s", f->key,
                      (int)diff_item_name_len(item, len), item);
        }
    }
}

/* The domain checks and defaults that call a function this run makes,
 * once it is made: those of a domain made, new ones, and those released
 * before (a default that calls one was left out wherever else it would
 * have been set). */
void diff_domain_calls_after_functions(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_DOMAIN); i++) {
        const sm_object *t = sm_at(r->to, SM_DOMAIN, i), *f = diff_twin(r->from, t);
        bool made = !f || diff_fresh(r, t) || domain_swapped(r, f);
        if (sm_attr(t, SM_DOMAIN_DEFAULT) && default_after_functions(r, t)) {
            diff_about(r, t);
            diff_stmt(r, "ALTER DOMAIN %s SET DEFAULT %s", t->key, sm_attr(t, SM_DOMAIN_DEFAULT));
        }
        FOR_EACH_ITEM(sm_attr(t, SM_DOMAIN_CHECKS), item, len)
        {
            char *whole = strndup(item, len);
            bool had = whole && !made && diff_list_has(sm_attr(f, SM_DOMAIN_CHECKS), whole) &&
                       !check_released(r, item, len);
            free(whole);
            if (had || !check_after_functions(r, item, len))
                continue;
            diff_about(r, t);
            diff_stmt(r, "ALTER DOMAIN %s ADD CONSTRAINT %.*s", t->key, (int)len, item);
        }
    }
}

static void composite_create(diff_run *r, const sm_object *t)
{
    bool first = true;
    sb_printf(r->out, "CREATE TYPE %s AS (", t->key);
    FOR_EACH_ITEM(sm_attr(t, SM_COMPOSITE_ATTRS), item, len)
    {
        sb_printf(r->out, "%s%.*s", first ? "" : ", ", (int)len, item);
        first = false;
    }
    sb_puts(r->out, ");\n");
}

/* DROP ATTRIBUTE for those @t lacks, ALTER ATTRIBUTE for those retyped,
 * ADD ATTRIBUTE for new ones (attributes_alterable() said they come last). */
static void composite_alter(diff_run *r, const sm_object *f, const sm_object *t)
{
    const char *from = sm_attr(f, SM_COMPOSITE_ATTRS), *to = sm_attr(t, SM_COMPOSITE_ATTRS);
    /* typed tables of the type follow it: the server wants it said */
    const char *cascade = diff_composite_has_tables(r, f->key) ? " CASCADE" : "";
    size_t l = 0;
    FOR_EACH_ITEM(from, item, len)
    {
        size_t nlen = diff_item_name_len(item, len);
        if (item_named(to, item, nlen, &l))
            continue;
        diff_destructive(r, "drops attribute %.*s of type %s and its values", (int)nlen, item,
                         t->key);
        diff_stmt(r, "ALTER TYPE %s DROP ATTRIBUTE %.*s%s", t->key, (int)nlen, item, cascade);
    }
    FOR_EACH_ITEM(to, item, len)
    {
        size_t nlen = diff_item_name_len(item, len);
        const char *old = item_named(from, item, nlen, &l);
        if (!old) {
            diff_stmt(r, "ALTER TYPE %s ADD ATTRIBUTE %.*s%s", t->key, (int)len, item, cascade);
        } else if (l != len || strncmp(old, item, len) != 0) {
            diff_destructive(r, "attribute %.*s of type %s changes type; values may not fit",
                             (int)nlen, item, t->key);
            diff_stmt(r, "ALTER TYPE %s ALTER ATTRIBUTE %.*s TYPE %.*s%s", t->key, (int)nlen, item,
                      (int)(len - nlen - 1), item + nlen + 1, cascade);
        }
    }
}

void diff_composites(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_COMPOSITE); i++) {
        const sm_object *t = sm_at(r->to, SM_COMPOSITE, i), *f = diff_twin(r->from, t);
        diff_about(r, t);
        if (!f) {
            composite_create(r, t);
        } else if (r->composite_swapped[diff_index_of(r->from, f)]) {
            swap_type(r, f, t, composite_create,
                      "composite type %s is made again; values of dropped attributes are lost");
        } else if (!diff_attr_eq(f, t, SM_COMPOSITE_ATTRS)) {
            composite_alter(r, f, t);
        }
    }
}

static void range_create(diff_run *r, const sm_object *t)
{
    static const struct {
        size_t attr;
        const char *option;
    } options[] = {
        { SM_RANGE_COLLATION, "COLLATION" },
        { SM_RANGE_OPCLASS, "SUBTYPE_OPCLASS" },
        { SM_RANGE_CANONICAL, "CANONICAL" },
        { SM_RANGE_SUBDIFF, "SUBTYPE_DIFF" },
        { SM_RANGE_MULTIRANGE, "MULTIRANGE_TYPE_NAME" },
    };
    sb_printf(r->out, "CREATE TYPE %s AS RANGE (SUBTYPE = %s", t->key,
              sm_attr(t, SM_RANGE_SUBTYPE));
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        if (sm_attr(t, options[i].attr))
            sb_printf(r->out, ", %s = %s", options[i].option, sm_attr(t, options[i].attr));
    sb_puts(r->out, ");\n");
}

/* The kept columns of range type @f parked as text (@to_text), or moved
 * from text to @t's type. */
static void park_range_columns(diff_run *r, const sm_object *f, const sm_object *t, bool to_text)
{
    for (size_t i = 0; i < sm_count(r->from, SM_COLUMN); i++) {
        const sm_object *c = sm_at(r->from, SM_COLUMN, i), *tc = diff_twin(r->to, c);
        if (!of_type(c, f->key) || diff_column_gone(r, c) || !of_type(tc, t->key))
            continue;
        bool array = strcmp(sm_attr(c, SM_COL_TYPE), f->key) != 0;
        const char *type = to_text ? (array ? "text[]" : "text") : sm_attr(tc, SM_COL_TYPE);
        if (to_text && sm_attr(c, SM_COL_DEFAULT))
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", c->table, c->name);
        diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", c->table, c->name, type,
                  c->name, type);
        if (!to_text && sm_attr(tc, SM_COL_DEFAULT))
            diff_stmt(r, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", c->table, c->name,
                      sm_attr(tc, SM_COL_DEFAULT));
    }
}

/* The domains over the range type @f that is made again: their columns
 * parked as text and the domains dropped (@to_text), or made again and
 * their columns moved back. */
static void park_range_domains(diff_run *r, const sm_object *f, bool to_text)
{
    size_t n = sm_count(r->from, SM_DOMAIN);
    for (size_t k = 0; k < n; k++) {
        /* dropped dependants first, made again in order */
        size_t i = to_text ? n - 1 - k : k;
        const sm_object *d = sm_at(r->from, SM_DOMAIN, i), *td = diff_twin(r->to, d);
        if (!domain_of_type(d, f->key) || !domain_swapped(r, d))
            continue;
        if (to_text) {
            park_range_domains(r, d, true);
            park_range_columns(r, d, td, true);
            diff_stmt(r, "DROP DOMAIN %s", d->key);
        } else {
            domain_create(r, td);
            park_range_columns(r, d, td, false);
            park_range_domains(r, d, false);
        }
    }
}

/* A changed range type is made again, its columns parked as text
 * meanwhile: renamed, the old one's multirange and constructors would
 * keep the names the new one needs. */
void diff_ranges(diff_run *r)
{
    for (size_t i = 0; i < sm_count(r->to, SM_RANGE); i++) {
        const sm_object *t = sm_at(r->to, SM_RANGE, i), *f = diff_twin(r->from, t);
        diff_about(r, t);
        if (!f) {
            range_create(r, t);
        } else if (r->range_swapped[diff_index_of(r->from, f)]) {
            diff_destructive(
                r, "range type %s is made again; values that do not fit the new one fail", t->key);
            park_range_columns(r, f, t, true);
            park_range_domains(r, f, true);
            diff_stmt(r, "DROP TYPE %s", f->key);
            range_create(r, t);
            park_range_domains(r, f, false);
            park_range_columns(r, f, t, false);
        }
    }
}
