/*
 * backup.h - backups with pg_dump: taking one (um_backup, and the one
 * before an upgrade), and the backups of backup_dir (um_backup_list,
 * backup_keep).  Restoring is restore.c's.
 */
#ifndef LIB_BACKUP_H
#define LIB_BACKUP_H

#include <stdbool.h>

#include "internal.h"

/* How often the progress callback is called while a program runs. */
#define BACKUP_PROGRESS_MS 200

/*
 * The backup an upgrade of @n_steps steps takes first, as @opts (NULL:
 * defaults) and backup_before_upgrade say; nothing for a downgrade or an
 * empty plan.  Call with the migration lock held, before the first step.
 * Any failure is UM_EBACKUP (or UM_ECANCELLED, UM_ENOMEM), saying that
 * nothing was migrated.
 */
int backup_before_upgrade(um_ctx *ctx, um_direction dir, size_t n_steps,
                          const um_apply_options *opts);

/* backup_dir, or "backups" beside the configuration file; free(). */
char *backup_dir_path(const um_ctx *ctx);

/*
 * The backups in @dir (backup_list.c), newest first; with @verify each
 * file's SHA-256 is compared with its manifest.  A missing @dir is an
 * empty list; UM_EIO when it cannot be read.
 */
int backup_scan(um_ctx *ctx, const char *dir, bool verify, um_backup_list_info **out);

/*
 * Deletes the oldest backups of @dir beyond backup_keep (0: none), never
 * @newest and never a file without a manifest; failures are logged.
 */
void backup_keep_newest(um_ctx *ctx, const char *dir, const char *newest);

#endif
