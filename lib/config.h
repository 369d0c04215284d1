/*
 * config.h - ultramigrate.ini and the environment.
 *
 * The file is INI as Python's configparser reads it (read with inih): the
 * [ultramigrate] section (or [alembic], for Alembic users), "%%" for a
 * literal "%", and "%(here)s" for the directory of the file; other
 * "%(key)s" references name keys of the same section or of [DEFAULT].
 * Unknown keys warn through the logger; a bad value is UM_ECONFIG naming
 * the file, the line and the key.
 *
 * The database URL comes from, in order: the caller (-d), the environment
 * variable ULTRAMIGRATE_DATABASE_URL, DATABASE_URL, the file's database_url
 * (or sqlalchemy.url), and otherwise libpq's own PG* variables and service
 * files (database_url stays NULL).
 */
#ifndef LIB_CONFIG_H
#define LIB_CONFIG_H

#include <stdbool.h>

#include "error.h"

/* lint_on_upgrade: what upgrade does with the findings of what it applies. */
typedef enum config_lint_mode {
    CONFIG_LINT_WARN = 0, /* log them (the default) */
    CONFIG_LINT_ERROR,    /* log them; an error finding stops the upgrade */
    CONFIG_LINT_OFF       /* do not lint */
} config_lint_mode;

/* lock_mode: what serialises runs (docs/configuration.md). */
typedef enum config_lock_mode {
    CONFIG_LOCK_ADVISORY = 0, /* a session-level advisory lock (the default) */
    CONFIG_LOCK_TABLE         /* a lease row in <version_table>_lock: through poolers */
} config_lock_mode;

/* One "lint.RULE = error|warning|off" key. */
typedef struct config_lint_rule {
    int rule;     /* a lint_rule (lint.h) */
    int severity; /* um_lint_severity, or 0 for off */
} config_lint_rule;

typedef struct config_settings {
    char *path;                     /* the ini file, NULL when none */
    char *here;                     /* directory of the ini file, else "." */
    char *script_location;          /* default "migrations" (relative to cwd) */
    char *database_url;             /* NULL: libpq defaults */
    const char *url_source;         /* static: "command line", "ULTRAMIGRATE_DATABASE_URL",
                                   "DATABASE_URL", "config file", "libpq environment",
                                   or a scratch handle's (lib/scratch.c) */
    char *file_template;            /* with "%%" already reduced to "%";
                                   default "%(rev)s_%(slug)s" */
    int truncate_slug_length;       /* default 40 */
    char *timezone;                 /* for Create Date; NULL: UTC */
    bool transaction_per_migration; /* default true */
    char *version_table;            /* default "ultramigrate_version" */
    char *version_table_schema;     /* default "public" */
    int lock_wait_ms;               /* wait for the advisory lock; default 60s, 0: try once */
    int lock_timeout_ms;            /* SET lock_timeout per revision; 0: server default */
    int statement_timeout_ms;       /* SET statement_timeout per revision; 0: default */
    int lock_retries;               /* default 0 */
    config_lock_mode lock_mode;     /* default CONFIG_LOCK_ADVISORY */
    int lock_lease_ms;              /* lock_mode = table: the lease; default 10min */
    int health_timeout_ms;          /* each query of a health snapshot; default 2s, 0: none */
    bool header_cache;              /* versions/.ultramigrate-cache; default true */
    bool compare_type;              /* default true (autogenerate) */
    bool compare_server_default;    /* default true (autogenerate) */
    bool compare_privileges;        /* default false (autogenerate): GRANT/REVOKE */
    char *schema_file;              /* NULL when not set */
    char *shadow_database_url;      /* autogenerate's scratch server; NULL: database_url's */
    char *backup_dir;               /* NULL when not set */
    bool backup_before_upgrade;     /* default false */
    int backup_keep;                /* backups kept in backup_dir; default 0: all */
    char *pg_bin_dir;               /* pg_dump & co; NULL: the usual places */
    um_backup_format backup_format; /* default UM_BACKUP_CUSTOM */
    config_lint_mode lint_on_upgrade;
    config_lint_rule *lint_rules; /* lint.RULE keys, [alembic] then [ultramigrate] */
    size_t n_lint_rules;
} config_settings;

/* Fills @cfg with the defaults above (no file, URL from the environment). */
int config_init_defaults(config_settings *cfg, err_buf *err);

/*
 * Loads @path (NULL: defaults only) and resolves the URL with
 * @url_override (NULL: none) and the environment.  A missing file is
 * UM_ECONFIG.  Durations accept "500ms", "5s", "2min", "1h" or a bare
 * number of milliseconds; booleans true/false/yes/no/on/off/1/0.
 */
int config_load(config_settings *cfg, const char *path, const char *url_override,
                const log_sink *log, err_buf *err);

/*
 * config_load() reading the keys from [@section] (and [DEFAULT]) instead of
 * [ultramigrate] and [alembic], as Alembic's -n does; NULL: those two.  A
 * file without a [@section] holding a key is UM_ECONFIG.
 */
int config_load_section(config_settings *cfg, const char *path, const char *section,
                        const char *url_override, const log_sink *log, err_buf *err);

void config_free(config_settings *cfg);

/*
 * A copy of @url with any password replaced by "****" (URL or key=value
 * form, a host-less URL's non-numeric "port", a query's percent-encoded
 * dbname holding more options, decoded), for messages and logs.  NULL on
 * out of memory.
 */
char *config_redact_url(const char *url);

#endif
