/*
 * statahead.h - the stats of a directory's files, taken on two threads.
 *
 * A cold status of 10,000 cached revisions is mostly 10,000 fstatat()
 * calls (1.5 us each on a VM: 15 ms), each of which the header cache
 * needs before it may trust an entry.  The reader works through the names
 * in order from the start; a second thread takes them from the end, a
 * chunk at a time, until the two meet.  Each chunk is taken by whichever
 * thread comes to it first, so the split follows whatever core is free
 * (the server answering the state query uses one too).  What is to be
 * done with each stat (making the header from the cache) goes with it.
 */
#ifndef LIB_STATAHEAD_H
#define LIB_STATAHEAD_H

#include <stddef.h>

#include "header_cache.h"

typedef struct stat_ahead stat_ahead;

/*
 * Work on name @i once its stat is taken (@stat_err its errno, 0: none),
 * done by whichever thread took that stat: what it writes for @i the
 * reader may read once stat_ahead_get(@i) has returned.
 */
typedef void stat_ahead_work(void *arg, size_t i, int stat_err);

/*
 * Starts on the @n names of @names, relative to @dirfd, into @stats (the
 * caller's, @n long), with @work (NULL: none) done for each name after
 * its stat.  With fewer names than make a second thread worth its start,
 * or when it cannot be started, everything is done by stat_ahead_get
 * itself.  NULL only when out of memory.
 */
stat_ahead *stat_ahead_start(int dirfd, char *const *names, size_t n, header_cache_stat *stats,
                             stat_ahead_work *work, void *arg);

/*
 * The stat of names[@i], asked for in ascending order: 0 when @stats[i]
 * holds it, else the errno of its fstatat() (symbolic links followed),
 * with @stats[i] all zeros.
 * Until it is asked for, @stats[i] may be being written.
 */
int stat_ahead_get(stat_ahead *sa, size_t i);

/* Stops the second thread, waits for it and frees @sa (NULL: nothing). */
void stat_ahead_finish(stat_ahead *sa);

#endif
