/*
 * scratch.c - autogenerate's throwaway databases (see scratch.h).
 */
#include "scratch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg.h"
#include "strbuf.h"
#include "template.h"
#include "util.h"

#define SCRATCH_APPLICATION "ultramigrate autogenerate"

struct scratch_server {
    um_ctx *admin;      /* connected to the server's maintenance database */
    char *conninfo;     /* the admin connection's parameters, key='value' */
    const char *source; /* static: where conninfo came from, for messages */
};

/* Where a scratch connection's parameters came from, as a connection
 * error names it ("cannot connect to URL (from SOURCE)"). */
#define SOURCE_SHADOW  "config file key shadow_database_url"
#define SOURCE_DERIVED "the project's database connection"

/* Appends " key='value'" as libpq's conninfo syntax quotes it. */
static void append_param(strbuf *sb, const char *key, const char *value)
{
    sb_printf(sb, "%s%s='", sb->len ? " " : "", key);
    for (const char *c = value; *c; c++) {
        if (*c == '\'' || *c == '\\')
            sb_putc(sb, '\\');
        sb_putc(sb, *c);
    }
    sb_putc(sb, '\'');
}

/*
 * The conninfo of @ctx's connection with dbname @dbname (NULL: as it is):
 * every parameter libpq resolved (URL, service file, PG* variables), so
 * that a second connection reaches the same server as the same role.
 * The password is in it: it is never shown (connect errors redact it).
 */
static int conninfo_of(um_ctx *ctx, const char *dbname, char **out)
{
    pg_param *params = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = pg_conninfo(ctx, &params, &n);
    if (rc)
        return rc;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *v = params[i].value;
        if (dbname && strcmp(params[i].keyword, "dbname") == 0)
            v = dbname;
        /* the application name is the handle's own; replication off */
        if (v && *v && strcmp(params[i].keyword, "application_name") != 0 &&
            strcmp(params[i].keyword, "replication") != 0)
            append_param(&sb, params[i].keyword, v);
    }
    pg_params_free(params, n);
    *out = sb_detach(&sb);
    return *out ? UM_OK : err_nomem(&ctx->err);
}

/* A handle of the library's own on @conninfo (which came from @source),
 * the parent's revisions, version table and logger; connected.  Errors go
 * to @parent. */
static int open_handle(um_ctx *parent, const char *conninfo, const char *source, um_ctx **out)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    o.database_url = conninfo;
    o.script_location = parent->cfg.script_location;
    o.log_cb = parent->log.cb;
    o.log_payload = parent->log.payload;
    /* a scratch database's own progress is detail, not the host's news */
    o.log_level = parent->log.level == UM_LOG_INFO ? UM_LOG_WARNING : parent->log.level;
    o.application_name = SCRATCH_APPLICATION;
    int rc = um_open(out, &o);
    if (!rc) {
        config_settings *c = &(*out)->cfg;
        c->url_source = source; /* not the "command line" of o.database_url */
        char *table = strdup(parent->cfg.version_table);
        char *schema = strdup(parent->cfg.version_table_schema);
        free(c->version_table);
        free(c->version_table_schema);
        c->version_table = table;
        c->version_table_schema = schema;
        c->transaction_per_migration = parent->cfg.transaction_per_migration;
        c->lint_on_upgrade = CONFIG_LINT_OFF;
        rc = table && schema ? pg_ensure_connected(*out) : err_nomem(&(*out)->err);
    }
    if (rc && *out)
        ctx_error(parent, rc, NULL, 0, NULL, "scratch database: %s", um_errmsg(*out));
    else if (rc)
        err_nomem(&parent->err);
    if (rc) {
        um_close(*out);
        *out = NULL;
    }
    return rc;
}

int scratch_server_open(um_ctx *ctx, scratch_server **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return err_nomem(&ctx->err);
    scratch_server *srv = *out;
    int rc;
    srv->source = ctx->cfg.shadow_database_url ? SOURCE_SHADOW : SOURCE_DERIVED;
    if (ctx->cfg.shadow_database_url) {
        srv->conninfo = strdup(ctx->cfg.shadow_database_url);
        rc = srv->conninfo ? UM_OK : err_nomem(&ctx->err);
    } else {
        rc = pg_ensure_connected(ctx);
        if (!rc)
            rc = conninfo_of(ctx, NULL, &srv->conninfo);
    }
    if (!rc)
        rc = open_handle(ctx, srv->conninfo, srv->source, &srv->admin);
    if (rc) {
        scratch_server_close(srv);
        *out = NULL;
    }
    return rc;
}

void scratch_server_close(scratch_server *srv)
{
    if (!srv)
        return;
    um_close(srv->admin);
    free(srv->conninfo);
    free(srv);
}

/* "CREATE DATABASE name ..." or "DROP DATABASE IF EXISTS name ...". */
static int admin_statement(scratch_server *srv, um_ctx *ctx, const char *verb, const char *name,
                           const char *tail)
{
    strbuf sql = STRBUF_INIT;
    sb_printf(&sql, "%s ", verb);
    int rc = pg_append_ident(srv->admin, &sql, name) ? UM_OK : UM_ERROR;
    sb_puts(&sql, tail);
    if (!rc)
        rc = sb_str(&sql) ? pg_exec(srv->admin, sb_str(&sql), NULL) : err_nomem(&srv->admin->err);
    if (rc)
        ctx_error(ctx, rc, NULL, 0, NULL, "scratch database %s: %s", name, um_errmsg(srv->admin));
    sb_free(&sql);
    return rc;
}

static int new_name(um_ctx *ctx, char **out)
{
    char random[13];
    int rc = template_new_rev_id(random, &ctx->err);
    if (rc)
        return rc;
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, SCRATCH_PREFIX "%ld_%s", (long)getpid(), random);
    *out = sb_detach(&sb);
    return *out ? UM_OK : err_nomem(&ctx->err);
}

int scratch_db_create(scratch_server *srv, um_ctx *ctx, scratch_db *db)
{
    memset(db, 0, sizeof(*db));
    char *conninfo = NULL;
    int rc = new_name(ctx, &db->name);
    if (!rc)
        rc = admin_statement(srv, ctx, "CREATE DATABASE", db->name, " TEMPLATE template0");
    if (rc) {
        free(db->name);
        db->name = NULL;
        return rc;
    }
    log_printf(&ctx->log, UM_LOG_DEBUG, "created scratch database %s", db->name);
    rc = conninfo_of(srv->admin, db->name, &conninfo);
    if (rc)
        ctx_error(ctx, rc, NULL, 0, NULL, "%s", um_errmsg(srv->admin));
    else
        rc = open_handle(ctx, conninfo, srv->source, &db->ctx);
    free(conninfo);
    if (!rc)
        pg_cancel_forward(ctx, db->ctx);
    else
        scratch_db_drop(srv, ctx, db);
    return rc;
}

int scratch_db_drop(scratch_server *srv, um_ctx *ctx, scratch_db *db)
{
    if (!db->name)
        return UM_OK;
    pg_cancel_forward(ctx, NULL);
    um_close(db->ctx);
    db->ctx = NULL;
    err_buf first = err_stash(&ctx->err);
    int rc = admin_statement(srv, ctx, "DROP DATABASE IF EXISTS", db->name, " WITH (FORCE)");
    if (rc)
        log_printf(&ctx->log, UM_LOG_WARNING, "%s; drop it by hand", um_errmsg(ctx));
    else
        log_printf(&ctx->log, UM_LOG_DEBUG, "dropped scratch database %s", db->name);
    err_unstash(&ctx->err, &first);
    free(db->name);
    db->name = NULL;
    return rc;
}
