/*
 * schema_model.c - reading a database's schema into the canonical model
 * (see schema_model.h): one catalog query per object kind.
 */
#include "schema_model.h"

#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "util.h"

/* Not the system's schemas (pg_catalog, pg_toast, temporary schemas,
 * information_schema). */
#define NSP_FILTER "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
/* Not a member of an extension (it comes with CREATE EXTENSION). */
#define NOT_EXT(catalog, oid)                                                                      \
    " NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" catalog "'::regclass"             \
    " AND e.objid = " oid " AND e.deptype = 'e')"
/* Not made with another object (a range type's constructors). */
#define NOT_INTERNAL(catalog, oid)                                                                 \
    " NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" catalog "'::regclass"             \
    " AND e.objid = " oid " AND e.deptype = 'i')"
/* Not one of the engine's bookkeeping tables ($1: schema, $2: names). */
#define NOT_BOOKKEEPING       " NOT (n.nspname = $1 AND c.relname = ANY ($2::text[]))"
#define COMMENT(oid, catalog) "quote_literal(obj_description(" oid ", '" catalog "'))"
#define COLLATION_NAME(oid)                                                                        \
    "(SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co"      \
    " JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = " oid ")"

/* One kind: its query (columns: key, table, name, then the attributes in
 * the kind's order) and the names the dump gives the attributes. */
typedef struct kind_spec {
    const char *name;
    const char *sql;
    bool bookkeeping_params; /* the query takes $1 and $2 */
    const char *const *attr_names;
    size_t n_attrs;
} kind_spec;

static const char *const schema_attrs[] = { "comment" };
static const char *const ext_attrs[] = { "schema", "comment" };
static const char *const enum_attrs[] = { "labels", "comment" };
static const char *const domain_attrs[] = { "base",      "not null", "default",
                                            "collation", "checks",   "comment" };
static const char *const composite_attrs[] = { "attributes", "comment" };
static const char *const range_attrs[] = { "subtype",   "collation",    "operator class",
                                           "canonical", "subtype diff", "multirange",
                                           "comment" };
static const char *const seq_attrs[] = { "type",  "start", "increment", "min",    "max",
                                         "cache", "cycle", "owned by",  "comment" };
static const char *const table_attrs[] = {
    "persistence",  "partition key",      "partition of", "bound",      "inherits",
    "row security", "force row security", "comment",      "from parent"
};
static const char *const column_attrs[] = { "position", "type",     "collation", "not null",
                                            "default",  "identity", "generated", "comment" };
static const char *const con_attrs[] = { "type", "definition", "references", "comment" };
static const char *const index_attrs[] = { "definition", "comment" };
static const char *const view_attrs[] = { "kind", "definition", "options", "depends on",
                                          "comment" };
static const char *const func_attrs[] = { "kind", "definition", "result", "comment" };
static const char *const trigger_attrs[] = { "definition", "enabled", "comment" };
static const char *const policy_attrs[] = { "definition", "comment" };
static const char *const grant_attrs[] = { "on",      "object", "column", "privilege",
                                           "grantee", "state",  "default" };

/* The objects whose privileges are compared, with their ACL, the kind
 * letter acldefault() takes and the owner. */
#define GRANT_OBJECTS                                                                              \
    "SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind,"                   \
    " c.oid::regclass::text AS obj, NULL::text AS col, c.relacl AS acl,"                           \
    " CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\" AS dk, c.relowner AS owner"        \
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"                               \
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND " NSP_FILTER " AND" NOT_EXT(                \
        "pg_class",                                                                                \
        "c.oid") " AND" NOT_BOOKKEEPING " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE "        \
                 "d.classid = 'pg_class'::regclass"                                                \
                 " AND d.objid = c.oid AND d.deptype = 'i')"                                       \
                 " UNION ALL SELECT 'column', c.oid::regclass::text, quote_ident(a.attname), "     \
                 "a.attacl, 'c',"                                                                  \
                 " c.relowner FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"           \
                 " JOIN pg_namespace n ON n.oid = c.relnamespace"                                  \
                 " WHERE a.attacl IS NOT NULL AND c.relkind IN ('r', 'p') AND a.attnum > 0"        \
                 " AND NOT a.attisdropped AND " NSP_FILTER " AND" NOT_EXT(                         \
                     "pg_class",                                                                   \
                     "c.oid") " AND" NOT_BOOKKEEPING                                               \
                              " UNION ALL SELECT 'schema', quote_ident(n.nspname), NULL, "         \
                              "n.nspacl, 'n', n.nspowner"                                          \
                              " FROM pg_namespace n WHERE " NSP_FILTER " AND" NOT_EXT(             \
                                  "pg_namespace",                                                  \
                                  "n.oid") " UNION ALL SELECT 'function', "                        \
                                           "p.oid::regprocedure::text, NULL, p.proacl, 'f', "      \
                                           "p.proowner"                                            \
                                           " FROM pg_proc p JOIN pg_namespace n ON n.oid = "       \
                                           "p.pronamespace"                                        \
                                           " WHERE p.prokind IN ('f', 'p') AND " NSP_FILTER        \
                                           " AND" NOT_EXT("pg_proc", "p.oid") " AND" NOT_INTERNAL( \
                                               "pg_proc",                                          \
                                               "p.oid") " UNION ALL SELECT 'type', "               \
                                                        "format_type(t.oid, NULL), NULL, "         \
                                                        "t.typacl, 'T', t.typowner"                \
                                                        " FROM pg_type t JOIN pg_namespace n ON "  \
                                                        "n.oid = t.typnamespace"                   \
                                                        " WHERE t.typtype IN ('e', 'd', 'c', "     \
                                                        "'r') AND (t.typtype <> 'c' OR EXISTS "    \
                                                        "(SELECT 1"                                \
                                                        " FROM pg_class tc WHERE tc.oid = "        \
                                                        "t.typrelid AND tc.relkind = 'c')) "       \
                                                        "AND " NSP_FILTER                          \
                                                        " AND" NOT_EXT("pg_type", "t.oid")

/* A partition's indexes attached to its parent's (not those of its
 * keys), its keys and foreign keys cloned from the parent's, and the
 * checks it inherits: SM_TABLE_FROM_PARENT. */
#define FROM_PARENT                                                                                \
    " CASE WHEN c.relispartition THEN (SELECT string_agg(x.item || E'\\n', '' ORDER BY x.name"     \
    " COLLATE \"C\") FROM (SELECT 'i ' || quote_ident(ic.relname) || ' ' ||"                       \
    " pg_get_indexdef(ic.oid) AS item, ic.relname::text AS name FROM pg_index i"                   \
    " JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND ic.relispartition"    \
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ic.oid"                     \
    " AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x'))"                                    \
    " UNION ALL SELECT k.contype::text || ' ' || quote_ident(k.conname) || ' ' ||"                 \
    " pg_get_constraintdef(k.oid), k.conname::text FROM pg_constraint k WHERE k.conrelid = c.oid"  \
    " AND ((k.contype IN ('p', 'u', 'x', 'f') AND k.conparentid <> 0)"                             \
    " OR (k.contype = 'c' AND NOT k.conislocal))) x) END"

#define ATTRS(a) a, sizeof(a) / sizeof(a[0])

static const kind_spec kinds[SM_N_KINDS] = {
    [SM_SCHEMA] = { "schema",
                    "SELECT quote_ident(n.nspname), NULL, quote_ident(n.nspname),"
                    " " COMMENT("n.oid", "pg_namespace") " FROM pg_namespace n"
                                                         " WHERE " NSP_FILTER
                                                         " AND" NOT_EXT("pg_namespace", "n.oid"),
                    false, ATTRS(schema_attrs) },
    [SM_EXTENSION] = { "extension",
                       "SELECT quote_ident(x.extname), NULL, quote_ident(x.extname),"
                       " quote_ident(n.nspname), " COMMENT(
                           "x.oid", "pg_extension") " FROM pg_extension x JOIN pg_namespace n ON "
                                                    "n.oid = x.extnamespace",
                       false, ATTRS(ext_attrs) },
    [SM_ENUM] = { "enum",
                  "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
                  " (SELECT string_agg(quote_literal(l.enumlabel) || E'\\n', '' ORDER BY"
                  " l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid),"
                  " " COMMENT("t.oid", "pg_type") " FROM pg_type t"
                                                  " JOIN pg_namespace n ON n.oid = t.typnamespace"
                                                  " WHERE t.typtype = 'e' AND " NSP_FILTER
                                                  " AND" NOT_EXT("pg_type", "t.oid"),
                  false, ATTRS(enum_attrs) },
    [SM_DOMAIN] = { "domain",
                    "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
                    " format_type(t.typbasetype, t.typtypmod), t.typnotnull::text, t.typdefault,"
                    " CASE WHEN t.typcollation <> b.typcollation THEN " COLLATION_NAME(
                        "t.typcollation") " END,"
                                          " (SELECT string_agg(quote_ident(k.conname) || ' ' ||"
                                          " pg_get_constraintdef(k.oid) || E'\\n', '' ORDER BY "
                                          "k.conname)"
                                          " FROM pg_constraint k WHERE k.contypid = t.oid AND "
                                          "k.contype = 'c'),"
                                          " " COMMENT(
                                              "t.oid",
                                              "pg_type") " FROM pg_type t"
                                                         " JOIN pg_type b ON b.oid = t.typbasetype"
                                                         " JOIN pg_namespace n ON n.oid = "
                                                         "t.typnamespace"
                                                         " WHERE t.typtype = 'd' AND " NSP_FILTER
                                                         " AND" NOT_EXT("pg_type", "t.oid"),
                    false, ATTRS(domain_attrs) },
    [SM_COMPOSITE] = { "composite type",
                       "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
                       " (SELECT string_agg(quote_ident(a.attname) || ' ' ||"
                       " format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attcollation <>"
                       " at.typcollation THEN ' COLLATE ' || " COLLATION_NAME(
                           "a.attcollation") " ELSE '' END || E'\\n', '' ORDER BY a.attnum) FROM "
                                             "pg_attribute a"
                                             " JOIN pg_type at ON at.oid = a.atttypid WHERE "
                                             "a.attrelid = t.typrelid"
                                             " AND a.attnum > 0 AND NOT a.attisdropped),"
                                             " " COMMENT(
                                                 "t.oid",
                                                 "pg_type") " FROM pg_type t JOIN pg_namespace n "
                                                            "ON n.oid = t.typnamespace"
                                                            " JOIN pg_class c ON c.oid = t.typrelid"
                                                            " WHERE t.typtype = 'c' AND c.relkind "
                                                            "= 'c' AND " NSP_FILTER
                                                            " AND" NOT_EXT("pg_type", "t.oid"),
                       false, ATTRS(composite_attrs) },
    [SM_RANGE] = { "range type",
                   "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
                   " format_type(r.rngsubtype, NULL),"
                   " CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation "
                   "THEN " COLLATION_NAME(
                       "r.rngcollation") " END,"
                                         " CASE WHEN NOT oc.opcdefault THEN (SELECT "
                                         "quote_ident(on2.nspname) || '.' ||"
                                         " quote_ident(oc.opcname) FROM pg_namespace on2 WHERE "
                                         "on2.oid ="
                                         " oc.opcnamespace) END,"
                                         " CASE WHEN r.rngcanonical <> 0 THEN "
                                         "r.rngcanonical::regproc::text END,"
                                         " CASE WHEN r.rngsubdiff <> 0 THEN "
                                         "r.rngsubdiff::regproc::text END,"
                                         " format_type(r.rngmultitypid, NULL), " COMMENT(
                                             "t.oid",
                                             "pg_type") " FROM pg_type t JOIN pg_namespace n ON "
                                                        "n.oid = t.typnamespace"
                                                        " JOIN pg_range r ON r.rngtypid = t.oid "
                                                        "JOIN pg_type st ON st.oid = r.rngsubtype"
                                                        " JOIN pg_opclass oc ON oc.oid = "
                                                        "r.rngsubopc"
                                                        " WHERE t.typtype = 'r' AND " NSP_FILTER
                                                        " AND" NOT_EXT("pg_type", "t.oid"),
                   false, ATTRS(range_attrs) },
    [SM_SEQUENCE] = { "sequence",
                      "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname),"
                      " format_type(s.seqtypid, NULL), s.seqstart::text, s.seqincrement::text,"
                      " s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle::text,"
                      " (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)"
                      " FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid"
                      " AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass"
                      " AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype "
                      "= 'a'),"
                      " " COMMENT(
                          "c.oid",
                          "pg_class") " FROM pg_class c"
                                      " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                      " JOIN pg_sequence s ON s.seqrelid = c.oid"
                                      " WHERE c.relkind = 'S' AND " NSP_FILTER " AND" NOT_EXT(
                                          "pg_class",
                                          "c.oid") " AND"
                                                   " NOT EXISTS (SELECT 1 FROM pg_depend d WHERE "
                                                   "d.classid = 'pg_class'::regclass"
                                                   " AND d.objid = c.oid AND d.deptype = 'i') AND"
                                                   " NOT EXISTS (SELECT 1 FROM pg_depend d JOIN "
                                                   "pg_class o ON o.oid = d.refobjid"
                                                   " JOIN pg_namespace om ON om.oid = "
                                                   "o.relnamespace"
                                                   " WHERE d.classid = 'pg_class'::regclass AND "
                                                   "d.objid = c.oid"
                                                   " AND d.refclassid = 'pg_class'::regclass AND "
                                                   "om.nspname = $1"
                                                   " AND o.relname = ANY ($2::text[]))",
                      true, ATTRS(seq_attrs) },
    [SM_TABLE] = { "table",
                   "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname),"
                   " c.relpersistence::text,"
                   " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
                   " CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text"
                   " FROM pg_inherits i WHERE i.inhrelid = c.oid) END,"
                   " CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,"
                   " CASE WHEN NOT c.relispartition THEN (SELECT"
                   " string_agg(i.inhparent::regclass::text || E'\\n', '' ORDER BY i.inhseqno)"
                   " FROM pg_inherits i WHERE i.inhrelid = c.oid) END,"
                   " c.relrowsecurity::text, c.relforcerowsecurity::text,"
                   " " COMMENT("c.oid", "pg_class") "," FROM_PARENT " FROM pg_class c"
                                                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                                    " WHERE c.relkind IN ('r', 'p') AND " NSP_FILTER
                                                    " AND" NOT_EXT("pg_class",
                                                                   "c.oid") " AND" NOT_BOOKKEEPING,
                   true, ATTRS(table_attrs) },
    [SM_COLUMN] = { "column",
                    "SELECT c.oid::regclass::text || '.' || quote_ident(a.attname),"
                    " c.oid::regclass::text, quote_ident(a.attname), a.attnum::text,"
                    " format_type(a.atttypid, a.atttypmod),"
                    " CASE WHEN a.attcollation <> t.typcollation THEN " COLLATION_NAME(
                        "a.attcollation") " END,"
                                          " a.attnotnull::text,"
                                          " CASE WHEN a.attgenerated = '' THEN "
                                          "pg_get_expr(d.adbin, d.adrelid) END,"
                                          " a.attidentity::text,"
                                          " CASE WHEN a.attgenerated <> '' THEN "
                                          "pg_get_expr(d.adbin, d.adrelid) END,"
                                          " quote_literal(col_description(c.oid, a.attnum))"
                                          " FROM pg_attribute a JOIN pg_class c ON c.oid = "
                                          "a.attrelid"
                                          " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                          " JOIN pg_type t ON t.oid = a.atttypid"
                                          " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND "
                                          "d.adnum = a.attnum"
                                          " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT "
                                          "a.attisdropped"
                                          " AND a.attislocal AND " NSP_FILTER " AND" NOT_EXT(
                                              "pg_class", "c.oid") " AND" NOT_BOOKKEEPING,
                    true, ATTRS(column_attrs) },
    [SM_CONSTRAINT] = { "constraint",
                        "SELECT c.oid::regclass::text || '.' || quote_ident(k.conname),"
                        " c.oid::regclass::text, quote_ident(k.conname), k.contype::text,"
                        " pg_get_constraintdef(k.oid),"
                        " CASE WHEN k.contype = 'f' THEN k.confrelid::regclass::text END,"
                        " " COMMENT(
                            "k.oid",
                            "pg_constraint") " FROM pg_constraint k"
                                             " JOIN pg_class c ON c.oid = k.conrelid"
                                             " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                             " WHERE k.contype IN ('p', 'u', 'c', 'x', 'f') AND "
                                             "k.conislocal"
                                             " AND k.conparentid = 0 AND c.relkind IN ('r', 'p') "
                                             "AND " NSP_FILTER " AND" NOT_EXT(
                                                 "pg_class", "c.oid") " AND" NOT_BOOKKEEPING,
                        true, ATTRS(con_attrs) },
    [SM_INDEX] = { "index",
                   "SELECT ic.oid::regclass::text, c.oid::regclass::text, quote_ident(ic.relname),"
                   " pg_get_indexdef(ic.oid), " COMMENT(
                       "ic.oid",
                       "pg_class") " FROM pg_index i"
                                   " JOIN pg_class ic ON ic.oid = i.indexrelid"
                                   " JOIN pg_class c ON c.oid = i.indrelid"
                                   " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                   " WHERE c.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition"
                                   " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE "
                                   "k.conindid = ic.oid"
                                   " AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x'))"
                                   " AND " NSP_FILTER
                                   " AND" NOT_EXT("pg_class", "c.oid") " AND" NOT_BOOKKEEPING,
                   true, ATTRS(index_attrs) },
    [SM_VIEW] = { "view",
                  "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname), c.relkind::text,"
                  " pg_get_viewdef(c.oid), array_to_string(c.reloptions, ', '),"
                  " (SELECT string_agg(DISTINCT d.refobjid::regclass::text || E'\\n', '')"
                  " FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass"
                  " AND d.objid = r.oid WHERE r.ev_class = c.oid"
                  " AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid),"
                  " " COMMENT("c.oid", "pg_class") " FROM pg_class c"
                                                   " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                                   " WHERE c.relkind IN ('v', 'm') AND " NSP_FILTER
                                                   " AND" NOT_EXT("pg_class", "c.oid"),
                  false, ATTRS(view_attrs) },
    [SM_FUNCTION] = { "function",
                      "SELECT p.oid::regprocedure::text, NULL, quote_ident(p.proname),"
                      " p.prokind::text, pg_get_functiondef(p.oid),"
                      " pg_get_function_result(p.oid), " COMMENT(
                          "p.oid",
                          "pg_proc") " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                                     " WHERE p.prokind IN ('f', 'p') AND " NSP_FILTER
                                     " AND" NOT_EXT("pg_proc", "p.oid") " AND" NOT_INTERNAL(
                                         "pg_proc", "p.oid"),
                      false, ATTRS(func_attrs) },
    [SM_TRIGGER] = { "trigger",
                     "SELECT c.oid::regclass::text || '.' || quote_ident(t.tgname),"
                     " c.oid::regclass::text, quote_ident(t.tgname), pg_get_triggerdef(t.oid),"
                     " t.tgenabled::text, " COMMENT(
                         "t.oid", "pg_trigger") " FROM pg_trigger t"
                                                " JOIN pg_class c ON c.oid = t.tgrelid"
                                                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                                " WHERE NOT t.tgisinternal AND t.tgparentid = 0 "
                                                "AND " NSP_FILTER " AND" NOT_EXT(
                                                    "pg_class", "c.oid") " AND" NOT_BOOKKEEPING,
                     true, ATTRS(trigger_attrs) },
    [SM_POLICY] = { "policy",
                    "SELECT c.oid::regclass::text || '.' || quote_ident(p.polname),"
                    " c.oid::regclass::text, quote_ident(p.polname),"
                    " format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname,"
                    " c.oid::regclass, CASE WHEN p.polpermissive THEN 'PERMISSIVE'"
                    " ELSE 'RESTRICTIVE' END, CASE p.polcmd WHEN 'r' THEN 'SELECT'"
                    " WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE'"
                    " ELSE 'ALL' END, CASE WHEN p.polroles = '{0}' THEN 'PUBLIC' ELSE"
                    " (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)"
                    " FROM pg_roles r WHERE r.oid = ANY (p.polroles)) END,"
                    " ' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')',"
                    " ' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')'),"
                    " " COMMENT("p.oid",
                                "pg_policy") " FROM pg_policy p"
                                             " JOIN pg_class c ON c.oid = p.polrelid"
                                             " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                             " WHERE " NSP_FILTER " AND" NOT_BOOKKEEPING,
                    true, ATTRS(policy_attrs) },
    /* actual against default privileges, the owner's left out: what was
     * granted beyond the default, and what of the default was revoked */
    [SM_GRANT] = { "grant",
                   "SELECT o.kind || ' ' || o.obj || coalesce('.' || o.col, '') || ' ' || x.priv"
                   " || ' ' || x.grantee, NULL, x.grantee, o.kind, o.obj, o.col, x.priv,"
                   " x.grantee, x.state, x.dflt::text FROM (" GRANT_OBJECTS ") o"
                   " CROSS JOIN LATERAL (SELECT coalesce(a.priv, d.priv) AS priv,"
                   " CASE WHEN coalesce(a.grantee, d.grantee) = 0 THEN 'PUBLIC'"
                   " ELSE quote_ident(pg_get_userbyid(coalesce(a.grantee, d.grantee))) END"
                   " AS grantee, CASE WHEN a.priv IS NULL THEN 'revoked' WHEN a.g THEN"
                   " 'grantable' ELSE 'granted' END AS state, d.priv IS NOT NULL AS dflt"
                   " FROM (SELECT e.grantee, e.privilege_type AS priv, bool_or(e.is_grantable)"
                   " AS g FROM aclexplode(coalesce(o.acl, acldefault(o.dk, o.owner))) e"
                   " WHERE e.grantee <> o.owner GROUP BY 1, 2) a"
                   " FULL JOIN (SELECT e.grantee, e.privilege_type AS priv"
                   " FROM aclexplode(acldefault(o.dk, o.owner)) e WHERE e.grantee <> o.owner) d"
                   " ON d.grantee = a.grantee AND d.priv = a.priv"
                   " WHERE a.priv IS NULL OR d.priv IS NULL OR a.g) x",
                   true, ATTRS(grant_attrs) },
};

/* Columns before the attributes: key, table, name. */
#define LEAD_COLUMNS 3

struct sm_model {
    struct pg_rows *rows[SM_N_KINDS]; /* own every string */
    sm_object *objects[SM_N_KINDS];   /* sorted by key */
    const char **attrs[SM_N_KINDS];   /* n_attrs per object, in one array */
    size_t n[SM_N_KINDS];
};

const char *sm_kind_name(sm_kind kind)
{
    return kind < SM_N_KINDS ? kinds[kind].name : "?";
}

const char *sm_attr_name(sm_kind kind, size_t i)
{
    return kind < SM_N_KINDS && i < kinds[kind].n_attrs ? kinds[kind].attr_names[i] : NULL;
}

/* The catalogs' codes (attidentity, attgenerated, relpersistence,
 * relkind, prokind, contype, tgenabled) as words. */
static const struct attr_code {
    sm_kind kind;
    const char *attr, *code, *words;
} attr_codes[] = {
    { SM_COLUMN, "identity", "", "none" },
    { SM_COLUMN, "identity", "a", "GENERATED ALWAYS" },
    { SM_COLUMN, "identity", "d", "GENERATED BY DEFAULT" },
    { SM_COLUMN, "generated", "", "none" },
    { SM_COLUMN, "generated", "s", "GENERATED ALWAYS AS (...) STORED" },
    { SM_TABLE, "persistence", "p", "logged" },
    { SM_TABLE, "persistence", "u", "unlogged" },
    { SM_VIEW, "kind", "v", "view" },
    { SM_VIEW, "kind", "m", "materialized view" },
    { SM_FUNCTION, "kind", "f", "function" },
    { SM_FUNCTION, "kind", "p", "procedure" },
    { SM_FUNCTION, "kind", "a", "aggregate" },
    { SM_FUNCTION, "kind", "w", "window function" },
    { SM_CONSTRAINT, "type", "p", "primary key" },
    { SM_CONSTRAINT, "type", "u", "unique" },
    { SM_CONSTRAINT, "type", "f", "foreign key" },
    { SM_CONSTRAINT, "type", "c", "check" },
    { SM_CONSTRAINT, "type", "x", "exclusion" },
    { SM_TRIGGER, "enabled", "O", "enabled" },
    { SM_TRIGGER, "enabled", "D", "disabled" },
    { SM_TRIGGER, "enabled", "R", "enabled on replicas only" },
    { SM_TRIGGER, "enabled", "A", "enabled always" },
};

const char *sm_attr_words(sm_kind kind, size_t i, const char *value)
{
    const char *attr = sm_attr_name(kind, i);
    if (!value || !attr)
        return value;
    for (size_t k = 0; k < sizeof(attr_codes) / sizeof(attr_codes[0]); k++) {
        const struct attr_code *c = &attr_codes[k];
        if (c->kind == kind && !strcmp(c->attr, attr) && !strcmp(c->code, value))
            return c->words;
    }
    return value;
}

bool sm_attr_ordinal(sm_kind kind, size_t i)
{
    return (kind == SM_COLUMN && i == SM_COL_ATTNUM) || (kind == SM_VIEW && i == SM_VIEW_DEPS) ||
           (kind == SM_TABLE && i == SM_TABLE_FROM_PARENT);
}

size_t sm_count(const sm_model *m, sm_kind kind)
{
    return m && kind < SM_N_KINDS ? m->n[kind] : 0;
}

const sm_object *sm_at(const sm_model *m, sm_kind kind, size_t i)
{
    return i < sm_count(m, kind) ? &m->objects[kind][i] : NULL;
}

const char *sm_attr(const sm_object *o, size_t i)
{
    return o && i < o->n_attrs ? o->attrs[i] : NULL;
}

static int cmp_objects(const void *a, const void *b)
{
    return strcmp(((const sm_object *)a)->key, ((const sm_object *)b)->key);
}

const sm_object *sm_find(const sm_model *m, sm_kind kind, const char *key)
{
    sm_object probe = { .key = key };
    if (!key || !sm_count(m, kind))
        return NULL;
    return bsearch(&probe, m->objects[kind], m->n[kind], sizeof(probe), cmp_objects);
}

/* "{"a","b","c"}": the bookkeeping tables' names as a text[] literal;
 * "{}" when they are read as any other table. */
static void bookkeeping_names(const config_settings *cfg, sm_scope scope, strbuf *sb)
{
    static const char *const suffixes[] = { "", "_applied", "_history" };
    sb_putc(sb, '{');
    for (size_t i = 0; scope == SM_SCOPE_SCHEMA && i < 3; i++) {
        sb_puts(sb, i ? ",\"" : "\"");
        for (const char *c = cfg->version_table; *c; c++) {
            if (*c == '"' || *c == '\\')
                sb_putc(sb, '\\');
            sb_putc(sb, *c);
        }
        sb_printf(sb, "%s\"", suffixes[i]);
    }
    sb_putc(sb, '}');
}

/* Runs one kind's query and builds its objects from the rows. */
static int read_kind(um_ctx *ctx, sm_model *m, sm_kind kind, const char *const *params)
{
    const kind_spec *k = &kinds[kind];
    int rc = pg_query(ctx, k->sql, k->bookkeeping_params ? 2 : 0,
                      k->bookkeeping_params ? params : NULL, &m->rows[kind], NULL);
    if (rc)
        return rc;
    size_t n = pg_rows_count(m->rows[kind]);
    m->objects[kind] = util_calloc(n, sizeof(sm_object));
    m->attrs[kind] = util_calloc(n * k->n_attrs, sizeof(char *));
    if (!m->objects[kind] || !m->attrs[kind])
        return err_nomem(&ctx->err);
    for (size_t r = 0; r < n; r++) {
        sm_object *o = &m->objects[kind][r];
        const char **attrs = m->attrs[kind] + r * k->n_attrs;
        o->kind = kind;
        o->key = pg_rows_value(m->rows[kind], r, 0);
        o->table = pg_rows_value(m->rows[kind], r, 1);
        o->name = pg_rows_value(m->rows[kind], r, 2);
        for (size_t a = 0; a < k->n_attrs; a++)
            attrs[a] = pg_rows_value(m->rows[kind], r, (int)(LEAD_COLUMNS + a));
        o->attrs = attrs;
        o->n_attrs = k->n_attrs;
    }
    m->n[kind] = n;
    qsort(m->objects[kind], n, sizeof(sm_object), cmp_objects);
    return UM_OK;
}

int sm_model_read(um_ctx *ctx, sm_model **out)
{
    return sm_model_read_scope(ctx, SM_SCOPE_SCHEMA, out);
}

int sm_model_read_scope(um_ctx *ctx, sm_scope scope, sm_model **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return err_nomem(&ctx->err);
    strbuf names = STRBUF_INIT;
    bookkeeping_names(&ctx->cfg, scope, &names);
    const char *params[2] = { ctx->cfg.version_table_schema, sb_str(&names) };
    pg_saved_setting path = { 0 };
    /* every name the server renders is then schema-qualified */
    int rc = params[1] ? pg_swap_setting(ctx, "search_path", "", &path) : err_nomem(&ctx->err);
    for (int kind = 0; !rc && kind < SM_N_KINDS; kind++)
        rc = read_kind(ctx, *out, (sm_kind)kind, params);
    if (path.changed) {
        err_buf first = err_stash(&ctx->err);
        int restored = pg_restore_setting(ctx, "search_path", &path);
        if (rc)
            err_unstash(&ctx->err, &first);
        else
            rc = restored;
    }
    sb_free(&names);
    if (rc) {
        sm_model_free(*out);
        *out = NULL;
    }
    return rc;
}

void sm_model_free(sm_model *m)
{
    if (!m)
        return;
    for (int k = 0; k < SM_N_KINDS; k++) {
        pg_rows_free(m->rows[k]);
        free(m->objects[k]);
        free(m->attrs[k]);
    }
    free(m);
}

void sm_dump(const sm_model *m, strbuf *out)
{
    for (int kind = 0; kind < SM_N_KINDS; kind++) {
        const kind_spec *k = &kinds[kind];
        for (size_t i = 0; i < sm_count(m, (sm_kind)kind); i++) {
            const sm_object *o = sm_at(m, (sm_kind)kind, i);
            sb_printf(out, "%s %s\n", k->name, o->key);
            for (size_t a = 0; a < o->n_attrs; a++)
                if (!sm_attr_ordinal((sm_kind)kind, a) && o->attrs[a])
                    sb_printf(out, "  %s: %s\n", k->attr_names[a], o->attrs[a]);
        }
    }
}
