/*
 * util.c - see util.h.
 */
#include "util.h"

#include <ultramigrate/ultramigrate.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

double util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *util_strdup_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void util_free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void *util_calloc(size_t count, size_t size)
{
    return calloc(count ? count : 1, size);
}

int util_options_init(void *opts, const void *tmpl, size_t size, unsigned int version)
{
    const unsigned int *tmpl_version = tmpl;
    return util_options_init_sized(opts, tmpl, version == *tmpl_version ? size : 0, version);
}

int util_options_init_sized(void *opts, const void *tmpl, size_t size, unsigned int version)
{
    if (!opts || !size)
        return UM_EINVAL;
    memcpy(opts, tmpl, size);
    /* the version is the first member of every options struct */
    *(unsigned int *)opts = version;
    return UM_OK;
}

uint64_t util_fnv1a(uint64_t hash, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ p[i]) * 1099511628211ULL;
    return hash;
}

uint64_t util_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint64_t mul = 0xff51afd7ed558ccdu;
    uint64_t h = 0x9e3779b97f4a7c15u ^ len, w;
    for (; len >= sizeof(w); p += sizeof(w), len -= sizeof(w)) {
        memcpy(&w, p, sizeof(w));
        h = (h ^ w) * mul;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * mul;
    return h ^ (h >> 33);
}

void util_one_line(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        size_t run = strspn(r, " \t\n\r");
        if (run == 0) {
            *w++ = *r++;
            continue;
        }
        if (strcspn(r, "\t\n\r") < run)
            *w++ = ' ';
        else
            for (size_t i = 0; i < run; i++)
                *w++ = r[i];
        r += run;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

void util_utf8_trim(char *s)
{
    size_t i = strlen(s), continuation = 0;
    while (i > 0 && continuation < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        continuation++;
    }
    unsigned char lead = i > 0 ? (unsigned char)s[i - 1] : 0;
    size_t needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (continuation < needed)
        s[i - 1] = '\0';
}

void util_hex(const unsigned char *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

char *util_percent_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            *w++ = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            *w++ = s[i];
        }
    }
    *w = '\0';
    return out;
}

void *util_grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t more = *cap ? 2 * *cap : 16;
    void *bigger = realloc(v, more * size);
    if (bigger)
        *cap = more;
    return bigger;
}

size_t util_skip_block_comment(const char *s, size_t i, size_t end)
{
    int depth = 0;
    do {
        if (s[i] == '/' && i + 1 < end && s[i + 1] == '*')
            depth++, i++;
        else if (s[i] == '*' && i + 1 < end && s[i + 1] == '/')
            depth--, i++;
        i++;
    } while (depth > 0 && i < end);
    return i;
}
