/*
 * table.c - rows of text printed as aligned columns (status, history).
 *
 * Revision ids are not all twelve characters (--rev-id, imported Alembic
 * projects), nor states all one word's length, so widths are measured
 * from the rows: the table is filled first and printed once.  Widths
 * count characters, not bytes, so that a role or host name in UTF-8 does
 * not shift the columns after it.  The last column is never padded (it
 * is the free text: a message, a note), nor are empty cells at a row's
 * end, so that no line ends in spaces.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_table_init(struct cli_table *t, size_t n_cols)
{
    memset(t, 0, sizeof(*t));
    t->n_cols = n_cols;
    t->width = calloc(n_cols, sizeof(*t->width));
    t->right = calloc(n_cols, sizeof(*t->right));
    t->color = calloc(n_cols, sizeof(*t->color));
    return t->width && t->right && t->color ? UM_OK : UM_ENOMEM;
}

/* Characters in UTF-8 @s: its bytes but continuation bytes. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
    char **row = calloc(t->n_cols, sizeof(*row));
    char ***rows = realloc(t->rows, (t->n_rows + 1) * sizeof(*rows));

    if (rows)
        t->rows = rows;
    if (!row || !rows) {
        free(row);
        return UM_ENOMEM;
    }
    t->rows[t->n_rows++] = row; /* owned by the table from here */
    for (size_t c = 0; c < t->n_cols; c++) {
        if (!(row[c] = strdup(cells[c] ? cells[c] : "")))
            return UM_ENOMEM;
        size_t w = text_width(row[c]);
        if (w > t->width[c])
            t->width[c] = w;
    }
    return UM_OK;
}

/* @last: no cell after this one has text, so it needs no padding. */
static void print_cell(FILE *out, const struct cli_table *t, size_t c, const char *text, int last)
{
    const char *color = t->color[c] ? t->color[c](text) : NULL;
    size_t pad = last ? 0 : t->width[c] - text_width(text);

    if (c)
        fputs("  ", out);
    if (t->right[c])
        fprintf(out, "%*s", (int)pad, "");
    cli_color_begin(out, color);
    cli_print_text(out, text);
    cli_color_end(out, color);
    if (!t->right[c] && !last)
        fprintf(out, "%*s", (int)pad, "");
}

void cli_table_print_row(FILE *out, const struct cli_table *t, size_t r, const char *indent)
{
    size_t n = t->n_cols;

    while (n > 1 && !t->rows[r][n - 1][0])
        n--;
    fputs(indent, out);
    for (size_t c = 0; c < n; c++)
        print_cell(out, t, c, t->rows[r][c], c + 1 == n);
    fputc('\n', out);
}

void cli_table_print(FILE *out, const struct cli_table *t, const char *indent)
{
    for (size_t r = 0; r < t->n_rows; r++)
        cli_table_print_row(out, t, r, indent);
}

void cli_table_free(struct cli_table *t)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t->width);
    free(t->right);
    free(t->color);
    memset(t, 0, sizeof(*t));
}
