/*
 * redact.h - the passwords a handle knows of, and their removal from any
 * text before it is shown (an error, a server message, a log line).
 *
 * libpq and the server quote what they were given in every shape: the
 * URL's password as typed or percent-decoded, a "port" that was meant as a
 * password ("postgresql://user:secret" has no host), a key=value string's
 * dbname that is itself a URL and comes back as a database name.  So the
 * set holds each form of each password, and every copy of any of them is
 * masked wherever it appears.
 */
#ifndef LIB_REDACT_H
#define LIB_REDACT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct redact_set {
    char **v; /* longest first, so that a piece never splits a whole */
    size_t n, cap;
} redact_set;

/* What a password is replaced by (not even its length). */
#define REDACT_MASK "****"

/*
 * Adds @secret, its percent-decoded form and its pieces between URL
 * delimiters ("p@ss/word" may come back as "ss" and "word"): false when
 * out of memory.  NULL or "" adds nothing.
 */
bool redact_add(redact_set *r, const char *secret);

/*
 * Adds every password written in @conninfo, a URL or a key=value string
 * (and URLs inside it, as a key=value string's dbname): the URL's
 * userinfo password, a host-less URL's non-numeric "port", and each
 * password= value (quoted or bare, in a URL's query or as a key).
 */
bool redact_add_conninfo(redact_set *r, const char *conninfo);

/* A copy of @text with every secret masked; NULL when out of memory (the
 * caller shows nothing of the text then, never the text unmasked). */
char *redact_apply(const redact_set *r, const char *text);

void redact_free(redact_set *r);

#endif
