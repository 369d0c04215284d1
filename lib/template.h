/*
 * template.h - names and contents of new revision files.
 *
 * File names follow Alembic's file_template tokens: %(rev)s, %(slug)s,
 * %(year)d, %(month).2d, %(day).2d, %(hour).2d, %(minute).2d,
 * %(second).2d, %(epoch)s; "%%" is a literal "%" (the ini's "%%%%").
 * ".sql" is appended.
 *
 * New files are rendered from script.sql.tmpl, whose placeholders are
 * ${message}, ${rev_id}, ${parents} (comma separated), ${depends_on},
 * ${create_date}, ${branch_labels}; "$$" is a literal "$".  A line that
 * holds ${branch_labels} is left out when there are no labels, so that the
 * header has a "Branch Labels:" line only for a revision that has some.
 */
#ifndef LIB_TEMPLATE_H
#define LIB_TEMPLATE_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* The default script.sql.tmpl that init writes. */
extern const char template_default_script[];

/*
 * Alembic's slug: lowercase words of [a-z0-9] joined by "_", cut at a word
 * boundary to at most @truncate characters (0: no limit); Latin letters
 * with diacritics become ASCII ("é" "e", "ß" "ss"), other non-ASCII
 * characters separate words.  malloc'd.
 */
char *template_slug(const char *message, int truncate);

/*
 * The file name (with ".sql") for a new revision.  @now is the creation
 * time, broken down in UTC.  UM_ECONFIG naming the token for an unknown
 * token or a malformed template.
 */
int template_file_name(const char *file_template, const char *rev_id, const char *message,
                       int truncate_slug, time_t now, char **out, err_buf *err);

/* A fresh random revision id: 12 lowercase hex digits (out: 13 bytes). */
int template_new_rev_id(char out[13], err_buf *err);

typedef struct template_vars {
    const char *message;
    const char *rev_id;
    const char *parents;       /* "a, b" or "" */
    const char *depends_on;    /* "a, b" or "" */
    const char *create_date;   /* "2025-05-01 12:00:00+00" */
    const char *branch_labels; /* "a, b" or "" (NULL: "") */
} template_vars;

/*
 * Renders @tmpl.  UM_EPARSE naming @tmpl_path and the line for an unknown
 * placeholder.  A template written before ${branch_labels} existed (a
 * project's own script.sql.tmpl) still gets the labels: with labels and no
 * ${branch_labels} in @tmpl, a "-- Branch Labels: a, b" line follows the
 * rendered "Revision ID:" line (or opens the file when there is none).
 */
int template_render(const char *tmpl, const char *tmpl_path, const template_vars *vars, char **out,
                    err_buf *err);

#endif
