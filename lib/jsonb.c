/* jsonb.c - see jsonb.h. */
#include "jsonb.h"

json_t *jsonb_append(json_t *a, json_t *v)
{
    /* json_array_append_new() releases @v itself when it fails */
    if (a && json_array_append_new(a, v) == 0)
        return a;
    if (!a)
        json_decref(v);
    json_decref(a);
    return NULL;
}

json_t *jsonb_set(json_t *o, const char *key, json_t *v)
{
    if (o && json_object_set_new(o, key, v) == 0)
        return o;
    if (!o)
        json_decref(v);
    json_decref(o);
    return NULL;
}
