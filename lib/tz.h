/*
 * tz.h - the UTC offset of a named time zone at a given moment, for the
 * Create Date of new revision files (the configuration's `timezone`).
 *
 * libc converts to local time only in the zone TZ names, and TZ is the
 * process's environment: a library may not set it (it is global state,
 * and setenv is not thread-safe), so the zone is read here from the
 * system's zoneinfo files (TZif, RFC 8536) or from a POSIX TZ string.
 * Offline, thread-safe, no global state.
 */
#ifndef LIB_TZ_H
#define LIB_TZ_H

#include <time.h>

#include "error.h"

/*
 * The offset east of UTC, in seconds, of @zone at @t: "UTC", "Z" and ""
 * are 0; a name ("Europe/Paris") is read from $TZDIR, else
 * /usr/share/zoneinfo; anything else is read as a POSIX TZ string
 * ("CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30").  UM_ECONFIG when @zone
 * is none of these.
 */
int tz_offset(const char *zone, time_t t, long *offset, err_buf *err);

#endif
