/*
 * util.h - the small helpers every module would otherwise write again: a
 * monotonic clock, string copies, string arrays freed, an allocation that
 * never asks for zero bytes, FNV-1a, a faster hash and hex encoding.
 */
#ifndef LIB_UTIL_H
#define LIB_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock (for durations, never for dates). */
double util_now_ms(void);

/* strdup() that passes NULL through: NULL in, NULL out.  A NULL result for
 * a non-NULL @s means out of memory. */
char *util_strdup_null(const char *s);

/* Frees the @n strings of @v, then @v: the one way every module releases
 * the string arrays it owns.  @v may be NULL (then @n is 0). */
void util_free_strings(char **v, size_t n);

/* calloc() of @count elements where @count may be 0: an empty array is
 * still a valid pointer, so NULL always means out of memory. */
void *util_calloc(size_t count, size_t size);

/* 64-bit FNV-1a: start with UTIL_FNV1A_INIT, feed the bytes in pieces.
 * Byte by byte: for values that must stay as documented (the advisory
 * lock key); util_hash is faster. */
#define UTIL_FNV1A_INIT 14695981039346656037ULL
uint64_t util_fnv1a(uint64_t hash, const void *data, size_t len);

/*
 * A 64-bit hash of @len bytes, 8 at a time, for hash tables and integrity
 * checks of the engine's own files (the header cache stores it: changing
 * it changes that file's format).  Each step is a bijection of the state
 * for a given word, and of the word for a given state: a change within
 * one word always changes the hash.
 */
uint64_t util_hash(const void *data, size_t len);

/*
 * The body of every um_*_options_init(): copies @tmpl, the struct's INIT
 * values (@size bytes), to @opts when @version is the template's own.
 * Every options struct starts with its unsigned int version.
 * Returns UM_OK, or UM_EINVAL for a NULL @opts or another version.
 */
int util_options_init(void *opts, const void *tmpl, size_t size, unsigned int version);

/*
 * The same for a struct that has grown since version 1: an older host's
 * struct is shorter, so only the @size bytes it has room for (its module's
 * *_options_size(@version); 0 for a version it does not know) are copied
 * from @tmpl, and @opts gets @version, not the template's.
 * Returns UM_OK, or UM_EINVAL for a NULL @opts or a @size of 0.
 */
int util_options_init_sized(void *opts, const void *tmpl, size_t size, unsigned int version);

/* Makes @s one line in place: each run of blanks holding a newline, tab
 * or carriage return (libpq's "...failed\n\tIs the server running") becomes
 * one space; trailing blanks go. */
void util_one_line(char *s);

/* Cuts an incomplete UTF-8 sequence off the end of @s: truncating to a
 * fixed-size buffer may split a character. */
void util_utf8_trim(char *s);

/*
 * Room for one more element in the array @v of @n elements of @size bytes
 * and capacity *@cap: @v itself while there is room, else @v reallocated to
 * twice the capacity (16 at first), *@cap updated.  NULL when out of memory,
 * @v then untouched.
 */
void *util_grow(void *v, size_t n, size_t *cap, size_t size);

/* Past the SQL block comment that starts at @i of @s (they nest in
 * PostgreSQL), or @end when it does not close before it. */
size_t util_skip_block_comment(const char *s, size_t i, size_t end);

/* Lowercase hex of @len bytes into @out (2 * len + 1 bytes, NUL-terminated). */
void util_hex(const unsigned char *data, size_t len, char *out);

/* [s, s + len) with each %XX decoded, as libpq decodes the parts of a URL
 * (a '%' not followed by two hex digits stays); NULL when out of memory. */
char *util_percent_decode(const char *s, size_t len);

/*
 * Defines the two public accessors of a result list, as libgit2's
 * git_status_list_entrycount() and git_status_byindex(): size_t
 * COUNT_FN(const LIST_TYPE *) and ITEM_TYPE AT_FN(const LIST_TYPE *, size_t).
 * A NULL list is empty and an index out of range gives NULL.  @count and
 * @items name the members; @ref is & for an array of structs, empty for an
 * array of pointers.  One definition, so that every list of the API behaves
 * the same at its edges.
 */
#define UTIL_LIST_ACCESSORS(count_fn, at_fn, list_type, item_type, count, items, ref)              \
    size_t count_fn(const list_type *list)                                                         \
    {                                                                                              \
        return list ? list->count : 0;                                                             \
    }                                                                                              \
    item_type at_fn(const list_type *list, size_t i)                                               \
    {                                                                                              \
        return list && i < list->count ? ref list->items[i] : NULL;                                \
    }

/*
 * Defines a public getter, VALUE_TYPE FN(const OBJ_TYPE *), that reads
 * @member, or gives @if_null for a NULL object: every getter of the API
 * answers a NULL handle the same way.
 */
#define UTIL_GETTER(fn, obj_type, value_type, member, if_null)                                     \
    value_type fn(const obj_type *obj)                                                             \
    {                                                                                              \
        return obj ? obj->member : (if_null);                                                      \
    }

#endif
