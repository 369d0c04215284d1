/*
 * jsonb.h - building a JSON document with Jansson so that it is whole or
 * not at all: each helper takes the value it is given and, when the
 * container cannot take it, releases the container and returns NULL, so
 * that a chain of calls ends in NULL (the renderers' "out of memory")
 * instead of a shortened document.
 */
#ifndef LIB_JSONB_H
#define LIB_JSONB_H

#include <jansson.h>

/* Appends @v to array @a; NULL (and @a released) when either is NULL or
 * the append fails.  @v is taken whatever happens (Jansson's _new). */
json_t *jsonb_append(json_t *a, json_t *v);

/* Sets @key of object @o to @v; as jsonb_append otherwise. */
json_t *jsonb_set(json_t *o, const char *key, json_t *v);

#endif
