/*
 * tz.c - a named zone's UTC offset through ICU's calendar (ucal.h), which
 * carries the IANA time zone database and is thread-safe per object: one
 * calendar is opened for each question and closed again.
 *
 * ICU is loaded with dlopen() the first time a zone other than UTC is
 * asked for, not linked: its libraries (and libstdc++ with them) cost every
 * process that loads them several milliseconds of symbol lookups, a third
 * of a cold `ultramigrate status` (docs/performance.md), and only
 * `generate` and `merge` with a `timezone` set ever need them.
 */
#include "tz.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>
#include <unicode/uvernum.h>

/* Longer than any zone name (the longest IANA names have 32 characters). */
#define TZ_ID_MAX 64

/* ICU's headers rename each function after the version (ucal_open ->
 * ucal_open_72): the name to look up is the macro's expansion. */
#define TZ_STR_(x)    #x
#define TZ_STR(x)     TZ_STR_(x)
#define ICU_I18N_NAME "libicui18n.so." TZ_STR(U_ICU_VERSION_MAJOR_NUM)

/* The ICU functions used, as the headers declare them. */
typedef struct icu_api {
    UChar *(*str_from_utf8)(UChar *, int32_t, int32_t *, const char *, int32_t, UErrorCode *);
    int32_t (*canonical_id)(const UChar *, int32_t, UChar *, int32_t, UBool *, UErrorCode *);
    UCalendar *(*cal_open)(const UChar *, int32_t, const char *, UCalendarType, UErrorCode *);
    void (*cal_set_millis)(UCalendar *, UDate, UErrorCode *);
    int32_t (*cal_get)(const UCalendar *, UCalendarDateFields, UErrorCode *);
    void (*cal_close)(UCalendar *);
    const char *(*error_name)(UErrorCode);
} icu_api;

static icu_api icu;
static char icu_error[256]; /* why ICU could not be loaded; "" when it was */
static pthread_once_t icu_once = PTHREAD_ONCE_INIT;

/* dlsym() into a function pointer: memcpy, as ISO C has no cast for it. */
static bool bind_symbol(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);
    if (!sym)
        return false;
    memcpy(fn, &sym, size);
    return true;
}

#define BIND(lib, field, fn) bind_symbol(lib, TZ_STR(fn), &icu.field, sizeof(icu.field))

/* Loaded once per process and kept: the handle is never closed. */
static void load_icu(void)
{
    /* libicui18n brings libicuuc; dlsym on it searches both. */
    void *lib = dlopen(ICU_I18N_NAME, RTLD_NOW | RTLD_LOCAL);
    if (lib && BIND(lib, str_from_utf8, u_strFromUTF8) &&
        BIND(lib, canonical_id, ucal_getCanonicalTimeZoneID) && BIND(lib, cal_open, ucal_open) &&
        BIND(lib, cal_set_millis, ucal_setMillis) && BIND(lib, cal_get, ucal_get) &&
        BIND(lib, cal_close, ucal_close) && BIND(lib, error_name, u_errorName))
        return;
    const char *why = dlerror();
    snprintf(icu_error, sizeof(icu_error), "%s", why ? why : ICU_I18N_NAME ": cannot be loaded");
}

/* ICU answers an unknown id with GMT: only an id of its database counts. */
static bool known_zone(const UChar *id, int32_t len)
{
    UChar canonical[TZ_ID_MAX];
    UBool system = false;
    UErrorCode status = U_ZERO_ERROR;
    icu.canonical_id(id, len, canonical, TZ_ID_MAX, &system, &status);
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
    pthread_once(&icu_once, load_icu);
    if (icu_error[0])
        return err_set(err, UM_ECONFIG, NULL, 0, NULL,
                       "timezone '%s': ICU's time zone database is needed and cannot be loaded"
                       " (%s): install ICU (Debian: libicu%d), or leave timezone unset for UTC",
                       zone, icu_error, U_ICU_VERSION_MAJOR_NUM);
    UChar id[TZ_ID_MAX];
    int32_t len = 0;
    UErrorCode status = U_ZERO_ERROR;
    icu.str_from_utf8(id, TZ_ID_MAX, &len, zone, -1, &status);
    if (U_FAILURE(status) || len >= TZ_ID_MAX || !known_zone(id, len))
        return unknown_zone(zone, err);

    UCalendar *cal = icu.cal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &status);
    icu.cal_set_millis(cal, (UDate)t * 1000.0, &status);
    int32_t ms = icu.cal_get(cal, UCAL_ZONE_OFFSET, &status);
    ms += icu.cal_get(cal, UCAL_DST_OFFSET, &status);
    icu.cal_close(cal);
    if (U_FAILURE(status))
        return err_set(err, UM_ERROR, NULL, 0, NULL, "timezone '%s': ICU: %s", zone,
                       icu.error_name(status));
    *offset = ms / 1000;
    return UM_OK;
}
