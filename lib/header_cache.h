/*
 * header_cache.h - the parsed headers of a versions directory, kept in
 * versions/.ultramigrate-cache/ so that a command need not read and hash
 * every revision file again (docs/performance.md, "Cold status").
 *
 * An entry is used only while its file's stat (size, modification and
 * change times to the nanosecond, inode, device) is what it was when the
 * entry was written, and never without that stat: any edit, touch, copy or
 * checkout changes one of them.  The list of names is used only while the
 * directory's own stat is what it was: adding, removing or renaming a file
 * changes it.  The cache only saves time: missing,
 * damaged, written by another release or stale, it is ignored, and a
 * directory it cannot be written to is not an error.  Applying a revision
 * reads its file again and checks the checksum whatever the cache said.
 */
#ifndef LIB_HEADER_CACHE_H
#define LIB_HEADER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "script.h"

#define HEADER_CACHE_NAME ".ultramigrate-cache"

typedef struct header_cache header_cache;

/*
 * What the cache needs of a file's stat: the key an entry is trusted by
 * (size, modification and change times to the nanosecond, inode,
 * device), whether it is a regular file, and whether it is still linked.
 * 64 bytes where a struct stat is 144: at 10,000 files the array of them
 * is 0.8 MB less memory to fault in.  All zeros: no stat (matches no
 * entry, never cached).
 */
enum { HC_SIZE, HC_MTIME, HC_MTIME_NS, HC_CTIME, HC_CTIME_NS, HC_INO, HC_DEV, HC_N_KEY };
typedef struct header_cache_stat {
    uint64_t key[HC_N_KEY];
    uint32_t mode, nlink;
} header_cache_stat;

void header_cache_stat_of(const struct stat *st, header_cache_stat *out);

/* Reads the cache of the directory open as @dirfd, whose stat is @dir_st:
 * an empty cache when there is none or it cannot be used; NULL only when
 * out of memory. */
header_cache *header_cache_load(int dirfd, const struct stat *dir_st);

/*
 * The names of the directory's revision files in ascending strcmp()
 * order (*@n of them; the array and the names are the cache's), when its
 * stat is the one recorded with them: no need to read the directory.
 * NULL otherwise.
 */
char **header_cache_names(header_cache *c, size_t *n);

/*
 * Whether the cache holds @name, so that its stat is worth taking before
 * the file is read.  Names are asked for in ascending strcmp() order, as
 * the directory is read; one the cache does not hold will be written.
 */
bool header_cache_has(header_cache *c, const char *name);

/*
 * The cached header of @name, when @st is the stat it was cached with:
 * the script_file itself (the caller owns it from now on, with @path
 * copied in), or NULL (not cached, stale, or out of memory).  Names are
 * asked for in ascending strcmp() order, as the directory is read.
 */
script_file *header_cache_take(header_cache *c, const char *name, const header_cache_stat *st,
                               const char *path);

/*
 * The cached header of entry @i, when @st is its file's stat, for names
 * that are the cache's own (header_cache_names: the @i-th is entry @i).
 * It only reads the cache, so another thread may call it while the
 * reader goes on (statahead.c); header_cache_took then says it was used.
 * NULL: no such entry, stale, or out of memory.
 */
script_file *header_cache_make(const header_cache *c, size_t i, const header_cache_stat *st,
                               const char *path);

/* The header of @name, asked for as header_cache_take would, was made by
 * header_cache_make: the entry is marked taken. */
void header_cache_took(header_cache *c, const char *name);

/*
 * Writes the cache of @dirfd anew when it no longer matches the @n files
 * (names[i], stats[i], scripts[i], in ascending name order) just read, or
 * @dir_st (taken before the directory was read) can now be recorded; a
 * stats[i] with nlink 0 is a file not to cache.  Files changed less
 * than a couple of seconds before @read_at (CLOCK_REALTIME) are left out,
 * and so is the directory's stat: another change within the file system's
 * timestamp granularity could keep it.  Best effort: failures are silent.
 */
void header_cache_save(header_cache *c, int dirfd, const struct stat *dir_st,
                       const char *const *names, const header_cache_stat *stats,
                       script_file *const *scripts, size_t n, const struct timespec *read_at);

void header_cache_free(header_cache *c);

#endif
