/*
 * tz.c - see tz.h.
 *
 * A TZif file (RFC 8536) holds a header, a data block with 32-bit
 * transition times and, from version 2, a second header and block with
 * 64-bit times followed by a footer: the POSIX TZ string that rules the
 * times after the last transition (all of them in a "slim" file).
 */
#include "tz.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TZIF_HEADER   44
#define TZIF_MAX_SIZE (1L << 20) /* the largest zone today is under 4 KB */
#define SECS_PER_DAY  86400L
#define DEFAULT_TZDIR "/usr/share/zoneinfo"

/* ---- POSIX TZ strings ---------------------------------------------------- */

/* When daylight saving time starts or ends: Jn (day 1-365, February 29
 * never counted), n (day 0-365) or Mm.w.d (weekday d of week w of month m,
 * week 5 the last), at @time seconds after local midnight. */
typedef struct tz_rule {
    char kind; /* 'J', 'N' or 'M' */
    int day;
    int month, week, weekday;
    long time;
} tz_rule;

typedef struct posix_tz {
    long std_offset; /* seconds east of UTC */
    long dst_offset;
    bool has_dst;
    tz_rule start, end;
} posix_tz;

/* "CET" or "<+0530>": the end of the name, NULL when there is none. */
static const char *skip_name(const char *p)
{
    if (*p == '<') {
        const char *end = strchr(p, '>');
        return end && end > p + 1 ? end + 1 : NULL;
    }
    const char *q = p;
    while (isalpha((unsigned char)*q))
        q++;
    return q > p ? q : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds; NULL when malformed. */
static const char *parse_hms(const char *p, long *secs)
{
    long sign = 1, total = 0, unit = 3600;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    for (int part = 0; part < 3; part++, unit /= 60) {
        if (!isdigit((unsigned char)*p))
            return NULL;
        long v = 0;
        while (isdigit((unsigned char)*p) && v < 1000)
            v = v * 10 + (*p++ - '0');
        total += v * unit;
        if (*p != ':' || part == 2)
            break;
        p++;
    }
    *secs = sign * total;
    return p;
}

static const char *parse_number(const char *p, int min, int max, int *out)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    long v = 0;
    while (isdigit((unsigned char)*p) && v <= max)
        v = v * 10 + (*p++ - '0');
    *out = (int)v;
    return v >= min && v <= max ? p : NULL;
}

static const char *parse_rule(const char *p, tz_rule *r)
{
    r->time = 7200; /* 02:00 unless said */
    r->kind = *p == 'J' || *p == 'M' ? *p++ : 'N';
    if (r->kind == 'M') {
        if ((p = parse_number(p, 1, 12, &r->month)) && *p == '.')
            p = parse_number(p + 1, 1, 5, &r->week);
        else
            p = NULL;
        if (p && *p == '.')
            p = parse_number(p + 1, 0, 6, &r->weekday);
        else
            p = NULL;
    } else {
        p = parse_number(p, r->kind == 'J' ? 1 : 0, 365, &r->day);
    }
    if (p && *p == '/')
        p = parse_hms(p + 1, &r->time);
    return p;
}

static bool parse_posix(const char *s, posix_tz *tz)
{
    long off;
    const char *p = skip_name(s);
    if (!p || !(p = parse_hms(p, &off)))
        return false;
    tz->std_offset = -off; /* POSIX counts west of UTC */
    tz->has_dst = *p != '\0';
    if (!tz->has_dst)
        return true;
    if (!(p = skip_name(p)))
        return false;
    tz->dst_offset = tz->std_offset + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off)))
            return false;
        tz->dst_offset = -off;
    }
    if (!*p)
        p = ",M3.2.0,M11.1.0"; /* no rules given: the US ones, as tzcode does */
    if (*p != ',' || !(p = parse_rule(p + 1, &tz->start)) || *p != ',' ||
        !(p = parse_rule(p + 1, &tz->end)))
        return false;
    return *p == '\0';
}

static bool is_leap(long year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(long year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to the date (proleptic Gregorian calendar). */
static long days_from_civil(long year, int month, int day)
{
    year -= month <= 2;
    long era = (year >= 0 ? year : year - 399) / 400;
    long yoe = year - era * 400;
    long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The day (from 1970-01-01) @r names in @year. */
static long rule_day(const tz_rule *r, long year)
{
    long jan1 = days_from_civil(year, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->day - 1 + (is_leap(year) && r->day >= 60);
    if (r->kind == 'N')
        return jan1 + r->day;
    long first = days_from_civil(year, r->month, 1);
    long weekday = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
    long day = first + (r->weekday - weekday + 7) % 7 + (r->week - 1) * 7L;
    while (day >= first + days_in_month(year, r->month))
        day -= 7; /* week 5: the last one */
    return day;
}

static long posix_offset(const posix_tz *tz, time_t t)
{
    if (!tz->has_dst)
        return tz->std_offset;
    time_t local = t + tz->std_offset;
    struct tm tm;
    if (!gmtime_r(&local, &tm))
        return tz->std_offset;
    long year = tm.tm_year + 1900L;
    /* the start is in standard time, the end in daylight saving time */
    time_t start = rule_day(&tz->start, year) * SECS_PER_DAY + tz->start.time - tz->std_offset;
    time_t end = rule_day(&tz->end, year) * SECS_PER_DAY + tz->end.time - tz->dst_offset;
    /* southern hemisphere: the summer spans the new year */
    bool dst = start < end ? t >= start && t < end : !(t >= end && t < start);
    return dst ? tz->dst_offset : tz->std_offset;
}

/* ---- TZif files ------------------------------------------------------------ */

typedef struct tzif {
    int time_size; /* 4 (version 1 data) or 8 */
    uint32_t timecnt, typecnt;
    const unsigned char *times, *indices, *types;
    char footer[128]; /* "" when none */
} tzif;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t time_at(const tzif *z, uint32_t i)
{
    const unsigned char *p = z->times + (size_t)i * (size_t)z->time_size;
    if (z->time_size == 4)
        return (int32_t)be32(p);
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Size of the data block after header @h. */
static size_t block_size(const unsigned char *h, size_t time_size)
{
    size_t isutcnt = be32(h + 20), isstdcnt = be32(h + 24), leapcnt = be32(h + 28),
           timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
    return timecnt * (time_size + 1) + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
}

static bool parse_tzif(const unsigned char *d, size_t len, tzif *z)
{
    if (len < TZIF_HEADER || memcmp(d, "TZif", 4) != 0)
        return false;
    const unsigned char *h = d;
    size_t size = block_size(h, 4);
    z->time_size = 4;
    if (d[4] >= '2') { /* the 64-bit block follows the 32-bit one */
        if (size > len - TZIF_HEADER || len - TZIF_HEADER - size < TZIF_HEADER)
            return false;
        h = d + TZIF_HEADER + size;
        size = block_size(h, 8);
        z->time_size = 8;
    }
    const unsigned char *block = h + TZIF_HEADER;
    size_t used = (size_t)(block - d);
    if (memcmp(h, "TZif", 4) != 0 || size > len - used)
        return false;
    z->timecnt = be32(h + 32);
    z->typecnt = be32(h + 36);
    z->times = block;
    z->indices = block + (size_t)z->timecnt * (size_t)z->time_size;
    z->types = z->indices + z->timecnt;
    z->footer[0] = '\0';
    const char *f = (const char *)block + size, *end = (const char *)d + len;
    const char *nl = z->time_size == 8 && f < end && *f == '\n'
                         ? memchr(f + 1, '\n', (size_t)(end - f - 1))
                         : NULL;
    if (nl && (size_t)(nl - f - 1) < sizeof(z->footer))
        snprintf(z->footer, sizeof(z->footer), "%.*s", (int)(nl - f - 1), f + 1);
    return z->typecnt > 0;
}

static long type_offset(const tzif *z, unsigned idx)
{
    return (int32_t)be32(z->types + (size_t)(idx < z->typecnt ? idx : 0) * 6);
}

static long tzif_offset(const tzif *z, time_t t)
{
    uint32_t lo = 0, hi = z->timecnt; /* lo: the transitions at or before t */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (time_at(z, mid) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return type_offset(z, 0); /* before the first transition: type 0 */
    posix_tz rule;
    if (lo == z->timecnt && z->footer[0] && parse_posix(z->footer, &rule))
        return posix_offset(&rule, t);
    return type_offset(z, z->indices[lo - 1]);
}

/* ---- zones ----------------------------------------------------------------- */

/* The zone's TZif file, malloc'd; NULL when there is no such file. */
static unsigned char *read_zone_file(const char *dir, const char *zone, size_t *len)
{
    char path[4096];
    /* a name below the directory, never a way out of it */
    if (zone[0] == '/' || strstr(zone, "..") ||
        snprintf(path, sizeof(path), "%s/%s", dir, zone) >= (int)sizeof(path))
        return NULL;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        st.st_size <= TZIF_MAX_SIZE && (data = malloc((size_t)st.st_size)))
        *len = fread(data, 1, (size_t)st.st_size, f);
    fclose(f);
    return data;
}

int tz_offset(const char *zone, time_t t, long *offset, err_buf *err)
{
    *offset = 0;
    if (!*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0)
        return UM_OK;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = DEFAULT_TZDIR;
    size_t len = 0;
    unsigned char *data = read_zone_file(dir, zone, &len);
    tzif z;
    posix_tz rule;
    int rc = UM_OK;
    if (data && parse_tzif(data, len, &z))
        *offset = tzif_offset(&z, t);
    else if (parse_posix(zone, &rule))
        *offset = posix_offset(&rule, t);
    else
        rc = err_set(err, UM_ECONFIG, NULL, 0, NULL,
                     "timezone '%s': no such time zone in %s, nor a POSIX TZ string"
                     " (examples: Europe/Paris, UTC, CET-1CEST,M3.5.0,M10.5.0/3)",
                     zone, dir);
    free(data);
    return rc;
}
