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
/* The user's: neither in a system schema nor an extension's. */
#define USER_OBJECT(catalog, oid) NSP_FILTER " AND" NOT_EXT(catalog, oid)
/* The table c is the user's and not one of the engine's bookkeeping tables. */
#define USER_TABLE USER_OBJECT("pg_class", "c.oid") " AND" NOT_BOOKKEEPING
/* The lead columns of the object @name on the table c: its key (the
 * table's and its own name), the table, the name. */
#define TABLE_MEMBER(name)                                                                         \
    "c.oid::regclass::text || '.' || quote_ident(" name "), c.oid::regclass::text,"                \
    " quote_ident(" name ")"

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
static const char *const ext_attrs[] = { "schema", "comment", "version" };
static const char *const collation_attrs[] = { "definition", "comment" };
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
    "persistence", "partition key", "partition of",       "bound",
    "inherits",    "row security",  "force row security", "comment",
    "from parent", "options",       "replica identity",   "of type"
};
static const char *const column_attrs[] = { "position",    "type",       "collation",
                                            "not null",    "default",    "identity",
                                            "generated",   "comment",    "storage",
                                            "compression", "statistics", "identity options",
                                            "type storage" };
static const char *const con_attrs[] = { "type", "definition", "references", "comment" };
static const char *const index_attrs[] = { "definition", "comment" };
static const char *const stats_attrs[] = { "definition", "statistics", "comment" };
static const char *const view_attrs[] = { "kind",    "definition",      "options",  "depends on",
                                          "comment", "column comments", "populated" };
static const char *const func_attrs[] = { "kind",       "definition", "result",    "comment",
                                          "parameters", "defaults",   "depends on" };
static const char *const trigger_attrs[] = { "definition", "enabled", "comment" };
static const char *const rule_attrs[] = { "definition", "comment" };
static const char *const evtrig_attrs[] = { "definition", "enabled", "comment" };
static const char *const policy_attrs[] = { "definition", "comment" };
static const char *const grant_attrs[] = { "on",      "object", "column", "privilege",
                                           "grantee", "state",  "default" };

/* The catalog queries, laid out by hand: clang-format breaks SQL strings
 * joined with macros at every macro call. */
/* clang-format off */

/* The objects whose privileges are compared, with their ACL, the kind
 * letter acldefault() takes and the owner. */
#define GRANT_OBJECTS                                                                              \
    "SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind,"                   \
    " c.oid::regclass::text AS obj, NULL::text AS col, c.relacl AS acl, CASE WHEN c.relkind ="     \
    " 'S' THEN 's' ELSE 'r' END::\"char\" AS dk, c.relowner AS owner FROM pg_class c JOIN"         \
    " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND "  \
    USER_TABLE                                                                                     \
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND"        \
    " d.objid = c.oid AND d.deptype = 'i') UNION ALL SELECT 'column', c.oid::regclass::text,"      \
    " quote_ident(a.attname), a.attacl, 'c', c.relowner FROM pg_attribute a JOIN pg_class c ON"    \
    " c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS NOT"      \
    " NULL AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND " USER_TABLE    \
    " UNION ALL SELECT 'schema',"                                                                  \
    " quote_ident(n.nspname), NULL, n.nspacl, 'n', n.nspowner FROM pg_namespace n WHERE "          \
    USER_OBJECT("pg_namespace", "n.oid") " UNION ALL SELECT 'function',"                           \
    " p.oid::regprocedure::text, NULL, p.proacl, 'f', p.proowner FROM pg_proc p JOIN"              \
    " pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND "                 \
    USER_OBJECT("pg_proc", "p.oid") " AND" NOT_INTERNAL("pg_proc", "p.oid")                        \
    " UNION ALL SELECT 'type', format_type(t.oid, NULL), NULL, t.typacl, 'T', t.typowner FROM"     \
    " pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'c',"  \
    " 'r') AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class tc WHERE tc.oid = t.typrelid"   \
    " AND tc.relkind = 'c')) AND " USER_OBJECT("pg_type", "t.oid")

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

/* A collation's options for CREATE COLLATION (the ICU locale's column
 * is colliculocale in 15 and 16, colllocale since 17). */
#define COLLATION_DEF                                                                              \
    "CASE WHEN co.collprovider = 'i' THEN 'provider = icu, locale = ' || quote_literal("           \
    "coalesce(to_jsonb(co) ->> 'colllocale', to_jsonb(co) ->> 'colliculocale'))"                   \
    " ELSE 'provider = libc, lc_collate = ' || quote_literal(co.collcollate) ||"                   \
    " ', lc_ctype = ' || quote_literal(co.collctype) END || CASE WHEN NOT"                         \
    " co.collisdeterministic THEN ', deterministic = false' ELSE '' END"

/* A table's storage parameters, replica identity and composite type. */
#define TABLE_MORE                                                                                 \
    " (SELECT string_agg(o, ', ' ORDER BY o) FROM unnest(c.reloptions) o),"                        \
    " CASE c.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' WHEN 'i' THEN"              \
    " (SELECT 'USING INDEX ' || quote_ident(ic.relname) FROM pg_index i JOIN pg_class ic"          \
    " ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident) END,"                \
    " CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END"

/* An identity's sequence (deptype 'i'), its bounds only when not the
 * default of its type and direction. */
#define IDENTITY_OPTIONS                                                                           \
    "(SELECT 'START WITH ' || s.seqstart || E'\\nINCREMENT BY ' || s.seqincrement ||"              \
    " CASE WHEN s.seqmin = CASE WHEN s.seqincrement > 0 THEN 1 ELSE -x.top - 1 END"                \
    " THEN E'\\nNO MINVALUE' ELSE E'\\nMINVALUE ' || s.seqmin END ||"                              \
    " CASE WHEN s.seqmax = CASE WHEN s.seqincrement > 0 THEN x.top ELSE -1 END"                    \
    " THEN E'\\nNO MAXVALUE' ELSE E'\\nMAXVALUE ' || s.seqmax END ||"                              \
    " E'\\nCACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN E'\\nCYCLE' ELSE E'\\nNO CYCLE'"     \
    " END || E'\\n' FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid"                   \
    " CROSS JOIN LATERAL (SELECT CASE s.seqtypid WHEN 'smallint'::regtype THEN 32767::bigint"      \
    " WHEN 'integer'::regtype THEN 2147483647::bigint ELSE 9223372036854775807 END AS top) x"      \
    " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"              \
    " AND d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i')"

/* A column's storage when not its type's, compression, statistics
 * target (-1 until 17, NULL since: not set) and identity options. */
#define COLUMN_MORE                                                                                \
    " CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'PLAIN'"         \
    " WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,"                      \
    " CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END,"                         \
    " nullif(to_jsonb(a) ->> 'attstattarget', '-1'),"                                              \
    " CASE WHEN a.attidentity <> '' THEN " IDENTITY_OPTIONS " END,"                                \
    " CASE t.typstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN'"       \
    " ELSE 'EXTENDED' END"

/* An aggregate as CREATE OR REPLACE AGGREGATE (pg_get_functiondef
 * refuses aggregates). */
#define AGGREGATE_DEF                                                                              \
    "(SELECT format('CREATE OR REPLACE AGGREGATE %I.%I(%s) (%s)', n.nspname, p.proname,"           \
    " pg_get_function_arguments(p.oid), concat_ws(', ', 'SFUNC = ' || g.aggtransfn::regproc,"      \
    " 'STYPE = ' || format_type(g.aggtranstype, NULL),"                                            \
    " CASE WHEN g.aggtransspace <> 0 THEN 'SSPACE = ' || g.aggtransspace END,"                     \
    " CASE WHEN g.aggfinalfn <> 0 THEN 'FINALFUNC = ' || g.aggfinalfn::regproc END,"               \
    " CASE WHEN g.aggfinalextra THEN 'FINALFUNC_EXTRA' END,"                                       \
    " CASE WHEN g.aggfinalfn <> 0 THEN 'FINALFUNC_MODIFY = ' || CASE g.aggfinalmodify"             \
    " WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,"              \
    " CASE WHEN g.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || g.aggcombinefn::regproc END,"         \
    " CASE WHEN g.aggserialfn <> 0 THEN 'SERIALFUNC = ' || g.aggserialfn::regproc END,"            \
    " CASE WHEN g.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || g.aggdeserialfn::regproc END,"      \
    " 'INITCOND = ' || quote_literal(g.agginitval),"                                               \
    " CASE WHEN g.aggmtransfn <> 0 THEN 'MSFUNC = ' || g.aggmtransfn::regproc END,"                \
    " CASE WHEN g.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || g.aggminvtransfn::regproc END,"        \
    " CASE WHEN g.aggmtranstype <> 0 THEN 'MSTYPE = ' || format_type(g.aggmtranstype, NULL) END,"  \
    " CASE WHEN g.aggmtransspace <> 0 THEN 'MSSPACE = ' || g.aggmtransspace END,"                  \
    " CASE WHEN g.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || g.aggmfinalfn::regproc END,"            \
    " CASE WHEN g.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,"                                     \
    " CASE WHEN g.aggmfinalfn <> 0 THEN 'MFINALFUNC_MODIFY = ' || CASE g.aggmfinalmodify"          \
    " WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,"              \
    " 'MINITCOND = ' || quote_literal(g.aggminitval),"                                             \
    " CASE WHEN g.aggsortop <> 0 THEN (SELECT format('SORTOP = OPERATOR(%I.%s)', sn.nspname,"      \
    " so.oprname) FROM pg_operator so JOIN pg_namespace sn ON sn.oid = so.oprnamespace"            \
    " WHERE so.oid = g.aggsortop) END,"                                                            \
    " CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED'"    \
    " END, CASE WHEN g.aggkind = 'h' THEN 'HYPOTHETICAL' END))"                                    \
    " FROM pg_aggregate g WHERE g.aggfnoid = p.oid)"

/* A routine's parameters as "mode name type" lines (SM_FUNC_PARAMS):
 * proargmodes and proargnames are NULL when every parameter is IN or
 * unnamed, and unnest() pads them with NULLs. */
#define FUNC_PARAMS                                                                                \
    "(SELECT string_agg(coalesce(x.m::text, 'i') || ' ' || coalesce(quote_ident(nullif(x.nm,"     \
    " '')), '') || ' ' || format_type(x.ty, NULL) || E'\\n', '' ORDER BY x.o) FROM"                \
    " unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes, p.proargnames)"      \
    " WITH ORDINALITY AS x(ty, m, nm, o))"

/* The tables and columns a routine's SQL-standard body reads
 * (SM_FUNC_DEPS): only such a body records them. */
#define FUNC_DEPS                                                                                  \
    "(SELECT string_agg(DISTINCT d.refobjid::regclass::text || coalesce('.' ||"                    \
    " quote_ident(a.attname), '') || E'\\n', '') FROM pg_depend d LEFT JOIN pg_attribute a ON"     \
    " a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0 WHERE"           \
    " d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid ="                      \
    " 'pg_class'::regclass AND d.deptype = 'n')"

/* The comments on a view's columns: "name 'comment'", by name. */
#define VIEW_COLUMN_COMMENTS                                                                       \
    " (SELECT string_agg(quote_ident(a.attname) || ' ' || quote_literal(d.description) ||"         \
    " E'\\n', '' ORDER BY a.attname COLLATE \"C\") FROM pg_attribute a JOIN pg_description d"      \
    " ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum"         \
    " WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)"

#define ATTRS(a) a, sizeof(a) / sizeof(a[0])

static const kind_spec kinds[SM_N_KINDS] = {
    [SM_SCHEMA] = {
        "schema",
        "SELECT quote_ident(n.nspname), NULL, quote_ident(n.nspname), "
        COMMENT("n.oid", "pg_namespace") " FROM pg_namespace n WHERE "
        USER_OBJECT("pg_namespace", "n.oid"),
        false, ATTRS(schema_attrs) },
    [SM_EXTENSION] = {
        "extension",
        "SELECT quote_ident(x.extname), NULL, quote_ident(x.extname), quote_ident(n.nspname), "
        COMMENT("x.oid", "pg_extension") ", quote_literal(x.extversion) FROM pg_extension x JOIN"
        " pg_namespace n ON n.oid = x.extnamespace",
        false, ATTRS(ext_attrs) },
    [SM_COLLATION] = {
        "collation",
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname), NULL,"
        " quote_ident(co.collname), " COLLATION_DEF ", " COMMENT("co.oid", "pg_collation")
        " FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace WHERE "
        USER_OBJECT("pg_collation", "co.oid"),
        false, ATTRS(collation_attrs) },
    [SM_ENUM] = {
        "enum",
        "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname), (SELECT"
        " string_agg(quote_literal(l.enumlabel) || E'\\n', '' ORDER BY l.enumsortorder) FROM"
        " pg_enum l WHERE l.enumtypid = t.oid), " COMMENT("t.oid", "pg_type")
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND"
        " " USER_OBJECT("pg_type", "t.oid"),
        false, ATTRS(enum_attrs) },
    [SM_DOMAIN] = {
        "domain",
        "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
        " format_type(t.typbasetype, t.typtypmod), t.typnotnull::text,"
        /* deparsed now, not as typdefault kept it: schema-qualified */
        " pg_get_expr(t.typdefaultbin, 0), CASE WHEN t.typcollation <> b.typcollation THEN "
        COLLATION_NAME("t.typcollation")
        " END, (SELECT string_agg(quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid)"
        " || E'\\n', '' ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid AND"
        " k.contype = 'c'), " COMMENT("t.oid", "pg_type") " FROM pg_type t JOIN pg_type b ON"
        " b.oid = t.typbasetype JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype ="
        " 'd' AND " USER_OBJECT("pg_type", "t.oid"),
        false, ATTRS(domain_attrs) },
    [SM_COMPOSITE] = {
        "composite type",
        "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname), (SELECT"
        " string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) ||"
        " CASE WHEN a.attcollation <> at.typcollation THEN ' COLLATE ' || "
        COLLATION_NAME("a.attcollation") " ELSE '' END || E'\\n', '' ORDER BY a.attnum) FROM"
        " pg_attribute a JOIN pg_type at ON at.oid = a.atttypid WHERE a.attrelid = t.typrelid"
        " AND a.attnum > 0 AND NOT a.attisdropped), " COMMENT("t.oid", "pg_type")
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid"
        " = t.typrelid WHERE t.typtype = 'c' AND c.relkind = 'c' AND "
        USER_OBJECT("pg_type", "t.oid"),
        false, ATTRS(composite_attrs) },
    [SM_RANGE] = {
        "range type",
        "SELECT format_type(t.oid, NULL), NULL, quote_ident(t.typname),"
        " format_type(r.rngsubtype, NULL), CASE WHEN r.rngcollation <> 0 AND r.rngcollation <>"
        " st.typcollation THEN " COLLATION_NAME("r.rngcollation") " END, CASE WHEN NOT"
        " oc.opcdefault THEN (SELECT quote_ident(on2.nspname) || '.' || quote_ident(oc.opcname)"
        " FROM pg_namespace on2 WHERE on2.oid = oc.opcnamespace) END, CASE WHEN r.rngcanonical"
        " <> 0 THEN r.rngcanonical::regproc::text END, CASE WHEN r.rngsubdiff <> 0 THEN"
        " r.rngsubdiff::regproc::text END, format_type(r.rngmultitypid, NULL), "
        COMMENT("t.oid", "pg_type") " FROM pg_type t JOIN pg_namespace n ON n.oid ="
        " t.typnamespace JOIN pg_range r ON r.rngtypid = t.oid JOIN pg_type st ON st.oid ="
        " r.rngsubtype JOIN pg_opclass oc ON oc.oid = r.rngsubopc WHERE t.typtype = 'r' AND "
        USER_OBJECT("pg_type", "t.oid"),
        false, ATTRS(range_attrs) },
    [SM_SEQUENCE] = {
        "sequence",
        "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname), format_type(s.seqtypid,"
        " NULL), s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text,"
        " s.seqcache::text, s.seqcycle::text, (SELECT d.refobjid::regclass::text || '.' ||"
        " quote_ident(a.attname) FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid"
        " AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.objid ="
        " c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'), "
        COMMENT("c.oid", "pg_class") " FROM pg_class c JOIN pg_namespace n ON n.oid ="
        " c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid WHERE c.relkind = 'S' AND "
        USER_OBJECT("pg_class", "c.oid") " AND NOT EXISTS (SELECT 1 FROM pg_depend"
        " d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i') AND"
        " NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid JOIN"
        " pg_namespace om ON om.oid = o.relnamespace WHERE d.classid = 'pg_class'::regclass AND"
        " d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND om.nspname = $1 AND"
        " o.relname = ANY ($2::text[]))",
        true, ATTRS(seq_attrs) },
    [SM_TABLE] = {
        "table",
        "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname), c.relpersistence::text,"
        " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, CASE WHEN"
        " c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE"
        " i.inhrelid = c.oid) END, CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound,"
        " c.oid) END, CASE WHEN NOT c.relispartition THEN (SELECT"
        " string_agg(i.inhparent::regclass::text || E'\\n', '' ORDER BY i.inhseqno) FROM"
        " pg_inherits i WHERE i.inhrelid = c.oid) END, c.relrowsecurity::text,"
        " c.relforcerowsecurity::text, " COMMENT("c.oid", "pg_class")
        "," FROM_PARENT "," TABLE_MORE " FROM pg_class c JOIN pg_namespace n ON n.oid ="
        " c.relnamespace WHERE c.relkind IN ('r', 'p') AND " USER_TABLE,
        true, ATTRS(table_attrs) },
    [SM_COLUMN] = {
        "column",
        "SELECT " TABLE_MEMBER("a.attname") ", a.attnum::text,"
        " format_type(a.atttypid, a.atttypmod), CASE WHEN a.attcollation <> t.typcollation"
        " THEN " COLLATION_NAME("a.attcollation")
        " END, a.attnotnull::text, CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin,"
        " d.adrelid) END, a.attidentity::text, CASE WHEN a.attgenerated <> '' THEN"
        " pg_get_expr(d.adbin, d.adrelid) END, quote_literal(col_description(c.oid, a.attnum)),"
        COLUMN_MORE " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN"
        " pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid LEFT"
        " JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE c.relkind IN"
        " ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal AND " USER_TABLE,
        true, ATTRS(column_attrs) },
    [SM_CONSTRAINT] = {
        "constraint",
        "SELECT " TABLE_MEMBER("k.conname") ", k.contype::text, pg_get_constraintdef(k.oid),"
        " CASE WHEN k.contype = 'f' THEN k.confrelid::regclass::text END, "
        COMMENT("k.oid", "pg_constraint") " FROM pg_constraint k JOIN pg_class c ON c.oid ="
        " k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype IN ('p', 'u',"
        " 'c', 'x', 'f') AND k.conislocal AND k.conparentid = 0 AND c.relkind IN ('r', 'p') AND "
        USER_TABLE,
        true, ATTRS(con_attrs) },
    [SM_INDEX] = {
        "index",
        "SELECT ic.oid::regclass::text, c.oid::regclass::text, quote_ident(ic.relname),"
        " pg_get_indexdef(ic.oid), " COMMENT("ic.oid", "pg_class") " FROM pg_index i JOIN"
        " pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid JOIN"
        " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND NOT"
        " ic.relispartition AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid ="
        " ic.oid AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x')) AND " USER_TABLE,
        true, ATTRS(index_attrs) },
    [SM_STATISTICS] = {
        "statistics",
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(s.stxname), c.oid::regclass::text,"
        " quote_ident(s.stxname), pg_get_statisticsobjdef(s.oid),"
        /* -1 until 17, NULL since: not set */
        " nullif(to_jsonb(s) ->> 'stxstattarget', '-1'), " COMMENT("s.oid", "pg_statistic_ext")
        " FROM pg_statistic_ext s JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace n ON"
        " n.oid = s.stxnamespace JOIN pg_namespace cn ON cn.oid = c.relnamespace WHERE "
        USER_OBJECT("pg_statistic_ext", "s.oid") " AND NOT (cn.nspname = $1 AND"
        " c.relname = ANY ($2::text[]))",
        true, ATTRS(stats_attrs) },
    [SM_VIEW] = {
        "view",
        "SELECT c.oid::regclass::text, NULL, quote_ident(c.relname), c.relkind::text,"
        " pg_get_viewdef(c.oid), array_to_string(c.reloptions, ', '), (SELECT"
        " string_agg(DISTINCT CASE WHEN d.refclassid = 'pg_class'::regclass THEN"
        " d.refobjid::regclass::text ELSE d.refobjid::regprocedure::text END || E'\\n', '')"
        " FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid ="
        " r.oid WHERE r.ev_class = c.oid AND ((d.refclassid = 'pg_class'::regclass AND"
        " d.refobjid <> c.oid) OR (d.refclassid = 'pg_proc'::regclass AND d.refobjid >= 16384))),"
        " " COMMENT("c.oid", "pg_class") "," VIEW_COLUMN_COMMENTS ", CASE WHEN c.relkind = 'm'"
        " THEN c.relispopulated::text END FROM pg_class c JOIN pg_namespace n ON n.oid ="
        " c.relnamespace WHERE c.relkind IN ('v', 'm') AND " USER_OBJECT("pg_class", "c.oid"),
        false, ATTRS(view_attrs) },
    [SM_FUNCTION] = {
        "function",
        "SELECT p.oid::regprocedure::text, NULL, quote_ident(p.proname), p.prokind::text, CASE"
        " WHEN p.prokind = 'a' THEN " AGGREGATE_DEF " ELSE pg_get_functiondef(p.oid) END,"
        " pg_get_function_result(p.oid), " COMMENT("p.oid", "pg_proc") ", " FUNC_PARAMS ","
        " p.pronargdefaults::text, " FUNC_DEPS " FROM pg_proc p JOIN pg_namespace n ON n.oid ="
        " p.pronamespace WHERE p.prokind IN ('f', 'p', 'a') AND " USER_OBJECT("pg_proc", "p.oid")
        " AND" NOT_INTERNAL("pg_proc", "p.oid"),
        false, ATTRS(func_attrs) },
    [SM_TRIGGER] = {
        "trigger",
        "SELECT " TABLE_MEMBER("t.tgname") ", pg_get_triggerdef(t.oid), t.tgenabled::text, "
        COMMENT("t.oid", "pg_trigger") " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND"
        " t.tgparentid = 0 AND " USER_TABLE,
        true, ATTRS(trigger_attrs) },
    [SM_RULE] = {
        "rule",
        "SELECT " TABLE_MEMBER("w.rulename") ", pg_get_ruledef(w.oid), "
        COMMENT("w.oid", "pg_rewrite") " FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE w.rulename <> '_RETURN' AND "
        USER_TABLE,
        true, ATTRS(rule_attrs) },
    [SM_POLICY] = {
        "policy",
        "SELECT " TABLE_MEMBER("p.polname") ","
        " format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, c.oid::regclass,"
        " CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE"
        " 'RESTRICTIVE' END, CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN"
        " 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, CASE WHEN p.polroles = '{0}'"
        " THEN 'PUBLIC' ELSE (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)"
        " FROM pg_roles r WHERE r.oid = ANY (p.polroles)) END, ' USING (' ||"
        " pg_get_expr(p.polqual, p.polrelid) || ')', ' WITH CHECK (' ||"
        " pg_get_expr(p.polwithcheck, p.polrelid) || ')'), " COMMENT("p.oid", "pg_policy")
        " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid ="
        " c.relnamespace WHERE " NSP_FILTER " AND" NOT_BOOKKEEPING,
        true, ATTRS(policy_attrs) },
    [SM_EVENT_TRIGGER] = {
        "event trigger",
        "SELECT quote_ident(et.evtname), NULL, quote_ident(et.evtname), format('CREATE EVENT"
        " TRIGGER %I ON %I%s EXECUTE FUNCTION %s()', et.evtname, et.evtevent, ' WHEN TAG IN ('"
        " || (SELECT string_agg(quote_literal(g), ', ' ORDER BY g) FROM unnest(et.evttags) g) ||"
        " ')', et.evtfoid::regproc), et.evtenabled::text, " COMMENT("et.oid", "pg_event_trigger")
        " FROM pg_event_trigger et WHERE" NOT_EXT("pg_event_trigger", "et.oid"),
        false, ATTRS(evtrig_attrs) },
    /* actual against default privileges, the owner's left out: what was
     * granted beyond the default, and what of the default was revoked */
    [SM_GRANT] = {
        "grant",
        "SELECT o.kind || ' ' || o.obj || coalesce('.' || o.col, '') || ' ' || x.priv || ' ' ||"
        " x.grantee, NULL, x.grantee, o.kind, o.obj, o.col, x.priv, x.grantee, x.state,"
        " x.dflt::text FROM (" GRANT_OBJECTS ") o CROSS JOIN LATERAL (SELECT coalesce(a.priv,"
        " d.priv) AS priv, CASE WHEN coalesce(a.grantee, d.grantee) = 0 THEN 'PUBLIC' ELSE"
        " quote_ident(pg_get_userbyid(coalesce(a.grantee, d.grantee))) END AS grantee, CASE WHEN"
        " a.priv IS NULL THEN 'revoked' WHEN a.g THEN 'grantable' ELSE 'granted' END AS state,"
        " d.priv IS NOT NULL AS dflt FROM (SELECT e.grantee, e.privilege_type AS priv,"
        " bool_or(e.is_grantable) AS g FROM aclexplode(coalesce(o.acl, acldefault(o.dk,"
        " o.owner))) e WHERE e.grantee <> o.owner GROUP BY 1, 2) a FULL JOIN (SELECT e.grantee,"
        " e.privilege_type AS priv FROM aclexplode(acldefault(o.dk, o.owner)) e WHERE e.grantee"
        " <> o.owner) d ON d.grantee = a.grantee AND d.priv = a.priv WHERE a.priv IS NULL OR"
        " d.priv IS NULL OR a.g) x",
        true, ATTRS(grant_attrs) },
};

/* Objects of kinds the model does not hold, which autogenerate would
 * leave out of a migration (objects made by the user after 16384, the
 * first normal OID, for the catalogs without a schema). */
#define USER_OID(oid) " " oid " >= 16384"
static const char *const unsupported_sql[] = {
    "SELECT 'foreign table ' || c.oid::regclass::text AS what FROM pg_class c JOIN pg_namespace"
    " n ON n.oid = c.relnamespace WHERE c.relkind = 'f' AND " USER_OBJECT("pg_class", "c.oid"),
    "SELECT 'foreign-data wrapper ' || quote_ident(w.fdwname) FROM pg_foreign_data_wrapper w"
    " WHERE" NOT_EXT("pg_foreign_data_wrapper", "w.oid"),
    "SELECT 'foreign server ' || quote_ident(v.srvname) FROM pg_foreign_server v WHERE"
    NOT_EXT("pg_foreign_server", "v.oid"),
    /* the view: only a superuser may read the catalog pg_user_mapping */
    "SELECT 'user mapping for ' || CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE"
    " quote_ident(u.usename) END || ' server ' || quote_ident(u.srvname) FROM"
    " pg_user_mappings u",
    "SELECT 'operator ' || o.oid::regoperator::text FROM pg_operator o JOIN pg_namespace n ON"
    " n.oid = o.oprnamespace WHERE " USER_OBJECT("pg_operator", "o.oid"),
    "SELECT 'operator class ' || quote_ident(n.nspname) || '.' || quote_ident(o.opcname) FROM"
    " pg_opclass o JOIN pg_namespace n ON n.oid = o.opcnamespace WHERE "
    USER_OBJECT("pg_opclass", "o.oid"),
    "SELECT 'operator family ' || quote_ident(n.nspname) || '.' || quote_ident(o.opfname) FROM"
    " pg_opfamily o JOIN pg_namespace n ON n.oid = o.opfnamespace WHERE "
    USER_OBJECT("pg_opfamily", "o.oid"),
    "SELECT 'cast ' || format('(%s AS %s)', format_type(k.castsource, NULL),"
    " format_type(k.casttarget, NULL)) FROM pg_cast k WHERE" USER_OID("k.oid")
    " AND" NOT_EXT("pg_cast", "k.oid") " AND" NOT_INTERNAL("pg_cast", "k.oid"),
    "SELECT 'text search configuration ' || k.oid::regconfig::text FROM pg_ts_config k JOIN"
    " pg_namespace n ON n.oid = k.cfgnamespace WHERE " USER_OBJECT("pg_ts_config", "k.oid"),
    "SELECT 'text search dictionary ' || k.oid::regdictionary::text FROM pg_ts_dict k JOIN"
    " pg_namespace n ON n.oid = k.dictnamespace WHERE " USER_OBJECT("pg_ts_dict", "k.oid"),
    "SELECT 'text search parser ' || quote_ident(k.prsname) FROM pg_ts_parser k JOIN"
    " pg_namespace n ON n.oid = k.prsnamespace WHERE " USER_OBJECT("pg_ts_parser", "k.oid"),
    "SELECT 'text search template ' || quote_ident(k.tmplname) FROM pg_ts_template k JOIN"
    " pg_namespace n ON n.oid = k.tmplnamespace WHERE " USER_OBJECT("pg_ts_template", "k.oid"),
    "SELECT 'conversion ' || quote_ident(k.conname) FROM pg_conversion k JOIN pg_namespace n ON"
    " n.oid = k.connamespace WHERE " USER_OBJECT("pg_conversion", "k.oid"),
    "SELECT 'language ' || quote_ident(k.lanname) FROM pg_language k WHERE" USER_OID("k.oid")
    " AND" NOT_EXT("pg_language", "k.oid"),
    "SELECT 'access method ' || quote_ident(k.amname) FROM pg_am k WHERE" USER_OID("k.oid")
    " AND" NOT_EXT("pg_am", "k.oid"),
    "SELECT 'transform for ' || format_type(k.trftype, NULL) FROM pg_transform k WHERE"
    USER_OID("k.oid") " AND" NOT_EXT("pg_transform", "k.oid"),
    "SELECT 'publication ' || quote_ident(k.pubname) FROM pg_publication k",
    "SELECT 'window function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
    " ON n.oid = p.pronamespace WHERE p.prokind = 'w' AND " USER_OBJECT("pg_proc", "p.oid"),
};
/* clang-format on */

/* Columns before the attributes: key, table, name. */
#define LEAD_COLUMNS 3

struct sm_model {
    struct pg_rows *rows[SM_N_KINDS]; /* own every string */
    sm_object *objects[SM_N_KINDS];   /* sorted by key */
    const char **attrs[SM_N_KINDS];   /* n_attrs per object, in one array */
    size_t n[SM_N_KINDS];
    struct pg_rows *unsupported; /* sm_unsupported_at(); NULL: not read */
};

/* The names of the objects the model cannot hold, sorted bytewise. */
static int read_unsupported(um_ctx *ctx, sm_model *m)
{
    strbuf sql = STRBUF_INIT;
    sb_puts(&sql, "SELECT x.what FROM (");
    for (size_t i = 0; i < sizeof(unsupported_sql) / sizeof(unsupported_sql[0]); i++)
        sb_printf(&sql, "%s%s", i ? " UNION ALL " : "", unsupported_sql[i]);
    sb_puts(&sql, ") x ORDER BY x.what COLLATE \"C\"");
    int rc = sb_str(&sql) ? pg_query(ctx, sb_str(&sql), 0, NULL, &m->unsupported, NULL)
                          : err_nomem(&ctx->err);
    sb_free(&sql);
    return rc;
}

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
    { SM_EVENT_TRIGGER, "enabled", "O", "enabled" },
    { SM_EVENT_TRIGGER, "enabled", "D", "disabled" },
    { SM_EVENT_TRIGGER, "enabled", "R", "enabled on replicas only" },
    { SM_EVENT_TRIGGER, "enabled", "A", "enabled always" },
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
    return (kind == SM_COLUMN && (i == SM_COL_ATTNUM || i == SM_COL_TYPE_STORAGE)) ||
           (kind == SM_VIEW && (i == SM_VIEW_DEPS || i == SM_VIEW_POPULATED)) ||
           (kind == SM_TABLE && i == SM_TABLE_FROM_PARENT) ||
           (kind == SM_FUNCTION &&
            (i == SM_FUNC_PARAMS || i == SM_FUNC_DEFAULTS || i == SM_FUNC_DEPS));
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

static int read_model(um_ctx *ctx, sm_scope scope, bool complete, sm_model **out);

int sm_model_read(um_ctx *ctx, sm_model **out)
{
    return read_model(ctx, SM_SCOPE_SCHEMA, true, out);
}

int sm_model_read_scope(um_ctx *ctx, sm_scope scope, sm_model **out)
{
    return read_model(ctx, scope, false, out);
}

/* @complete: with the names of what the model cannot hold (read_unsupported). */
static int read_model(um_ctx *ctx, sm_scope scope, bool complete, sm_model **out)
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
    if (!rc && complete)
        rc = read_unsupported(ctx, *out);
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
    pg_rows_free(m->unsupported);
    free(m);
}

size_t sm_unsupported_count(const sm_model *m)
{
    return m && m->unsupported ? pg_rows_count(m->unsupported) : 0;
}

const char *sm_unsupported_at(const sm_model *m, size_t i)
{
    return i < sm_unsupported_count(m) ? pg_rows_value(m->unsupported, i, 0) : NULL;
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
