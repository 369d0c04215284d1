/*
 * tz.c - a named zone's UTC offset through ICU's calendar (ucal.h), which
 * carries the IANA time zone database and is thread-safe per object: one
 * calendar is opened for each question and closed again.
 */
#include "tz.h"

#include <stdbool.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* Longer than any zone name (the longest IANA names have 32 characters). */
#define TZ_ID_MAX 64

/* ICU answers an unknown id with GMT: only an id of its database counts. */
static bool known_zone(const UChar *id, int32_t len)
{
    UChar canonical[TZ_ID_MAX];
    UBool system = false;
    UErrorCode status = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, len, canonical, TZ_ID_MAX, &system, &status);
    return U_SUCCESS(status) && system;
}

static int unknown_zone(const char *zone, err_buf *err)
{
    return err_set(err, UM_ECONFIG, NULL, 0, NULL,
                   "timezone '%s': no such time zone (a name of the IANA time zone database,"
                   " such as Europe/Paris, America/New_York or UTC)",
                   zone);
}

int tz_offset(const char *zone, time_t t, long *offset, err_buf *err)
{
    *offset = 0;
    if (!*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0)
        return UM_OK;
    UChar id[TZ_ID_MAX];
    int32_t len = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(id, TZ_ID_MAX, &len, zone, -1, &status);
    if (U_FAILURE(status) || len >= TZ_ID_MAX || !known_zone(id, len))
        return unknown_zone(zone, err);

    UCalendar *cal = ucal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &status);
    ucal_setMillis(cal, (UDate)t * 1000.0, &status);
    int32_t ms = ucal_get(cal, UCAL_ZONE_OFFSET, &status);
    ms += ucal_get(cal, UCAL_DST_OFFSET, &status);
    ucal_close(cal);
    if (U_FAILURE(status))
        return err_set(err, UM_ERROR, NULL, 0, NULL, "timezone '%s': ICU: %s", zone,
                       u_errorName(status));
    *offset = ms / 1000;
    return UM_OK;
}
