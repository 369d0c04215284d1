/*
 * tz.h - the UTC offset of a named time zone at a given moment, for the
 * Create Date of new revision files (the configuration's `timezone`).
 *
 * libc converts to local time only in the zone TZ names, and TZ is the
 * process's environment: a library may not set it (it is global state,
 * and setenv is not thread-safe).  ICU answers for any zone, from an
 * object of its own, so the zone is asked of ICU.
 */
#ifndef LIB_TZ_H
#define LIB_TZ_H

#include <time.h>

#include "error.h"

/*
 * The offset east of UTC, in seconds, of @zone at @t: "UTC", "Z" and ""
 * are 0 (without asking ICU); otherwise @zone is a name of the IANA time
 * zone database as ICU has it ("Europe/Paris", "Asia/Kolkata",
 * "Etc/GMT+5").  UM_ECONFIG when @zone is no such name.
 */
int tz_offset(const char *zone, time_t t, long *offset, err_buf *err);

#endif
