/*
 * redact.h - the passwords a handle knows of, and their removal from any
 * text before it is shown (an error, a server message, a log line).
 *
 * libpq and the server quote what they were given in every shape: the
 * URL's password as typed or percent-decoded, a "port" that was meant as a
 * password ("postgresql://user:secret" has no host), a key=value string's
 * dbname that is itself a URL and comes back as a database name, a
 * URL's dbname parameter percent-encoded ("dbname=postgresql%3A%2F%2F...")
 * that libpq decodes and reads as more options.  So the set holds each form
 * of each password.
 *
 * Where a copy is masked: a text is only ever masked by substitution, so a
 * short password masked everywhere would garble libpq's own words
 * ("conn****ct" for the password "e") and name itself by elimination.
 * Hence the rule:
 *   - a password of REDACT_MIN_ANYWHERE characters or more is masked
 *     wherever it appears, even inside a longer word (such a string does not
 *     turn up in a message by chance);
 *   - a shorter one, and every piece of a password, is masked only where it
 *     stands as a whole token: not preceded nor followed by a letter or a
 *     digit that would make it part of a longer word.  That is every place
 *     the password itself is quoted: a URL's "user:PASSWORD@", a
 *     "password=PASSWORD&" or "password=PASSWORD " value, libpq's
 *     quoting of a "port" ("PASSWORD").
 * The URLs and key=value strings shown in messages are masked by their
 * structure besides (config_redact_url), whatever the password's length.
 */
#ifndef LIB_REDACT_H
#define LIB_REDACT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct redact_secret {
    char *text;
    bool anywhere; /* masked inside words too (see above) */
} redact_secret;

typedef struct redact_set {
    redact_secret *v; /* longest first, so that a piece never splits a whole */
    size_t n, cap;
} redact_set;

/* The length from which a password is masked inside words too. */
#define REDACT_MIN_ANYWHERE 8
/* How deep a dbname that is itself a connection string is followed. */
#define REDACT_MAX_NESTING 4

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
 * (and URLs inside it, as a key=value string's dbname, and a URL's
 * percent-encoded dbname parameter, decoded, up to REDACT_MAX_NESTING
 * levels): the URL's userinfo password, a host-less URL's non-numeric
 * "port", and each password= value (quoted or bare as a key, up to '&' or
 * '#' in a URL's query).
 */
bool redact_add_conninfo(redact_set *r, const char *conninfo);

/* Whether a dbname holds more options, which libpq reads: a URL or a
 * key=value string. */
bool redact_holds_options(const char *dbname);

/* A copy of @text with every secret masked; NULL when out of memory (the
 * caller shows nothing of the text then, never the text unmasked). */
char *redact_apply(const redact_set *r, const char *text);

void redact_free(redact_set *r);

#endif
