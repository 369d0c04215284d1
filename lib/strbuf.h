/*
 * strbuf.h - a growable string.  Failure is sticky: after an allocation
 * fails every append is a no-op and sb_failed() says so, so callers check
 * once at the end instead of after every append.
 */
#ifndef LIB_STRBUF_H
#define LIB_STRBUF_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
    bool failed;
} strbuf;

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void sb_append(strbuf *sb, const char *s, size_t n);
void sb_puts(strbuf *sb, const char *s);
void sb_putc(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *sb, const char *fmt, va_list ap);
bool sb_failed(const strbuf *sb);
/* The contents ("" when empty), NULL if an allocation failed. */
const char *sb_str(const strbuf *sb);
/* Hands the buffer to the caller (free()) and resets sb; NULL on failure. */
char *sb_detach(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_free(strbuf *sb);

#endif
