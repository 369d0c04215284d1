/*
 * proc.h - running a program as a child process: no shell, its arguments
 * as given, an environment the caller builds, stdin from /dev/null or fed
 * by the caller, stdout to /dev/null or captured, and the end of stderr kept for the message
 * when it fails.  The backup module runs PostgreSQL's client programs
 * with it.
 */
#ifndef LIB_PROC_H
#define LIB_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* How often the tick callback runs while the child does: often enough
 * that a cancel acts at once and a file being written is read as it
 * grows. */
#define PROC_TICK_MS 50
/* How much of the end of stderr is kept. */
#define PROC_ERR_TAIL 4096

typedef struct proc_spec {
    const char *path;        /* the program's full path: no PATH search */
    const char *const *argv; /* argv[0] and the arguments, NULL-terminated */
    const char *const *envp; /* the whole environment, NULL-terminated */
    bool capture_stdout;     /* false: stdout goes to /dev/null */
    /* Called once the child has started and about every PROC_TICK_MS
     * after; non-zero stops the child (SIGTERM, SIGKILL if it lingers).
     * NULL: none. */
    int (*tick)(void *payload);
    void *payload; /* for tick and input */
    /* Feeds the child's stdin: called whenever it can take more; sets
     * *data and *len to the next bytes (valid until the next call), *len 0
     * at the end, when stdin is closed.  Non-zero stops the child as tick
     * does, and its stdin is then left open until it has gone, so that it
     * never reads an end of input it could take for a complete one.
     * NULL: stdin from /dev/null. */
    int (*input)(void *payload, const char **data, size_t *len);
} proc_spec;

typedef struct proc_result {
    int status;                  /* exit status; 128+N when killed by signal N */
    bool stopped;                /* the tick callback asked it to stop */
    char *out;                   /* stdout when captured (NUL-terminated), else NULL */
    char err[PROC_ERR_TAIL + 1]; /* the last PROC_ERR_TAIL bytes of stderr */
} proc_result;

/*
 * Runs @spec to its end.  UM_OK when the program ran, whatever its exit
 * status; UM_EBACKUP when it could not be started (the message names it),
 * UM_ENOMEM, UM_ERROR (no pipe).  @res is filled either way; free it with
 * proc_result_free().
 */
int proc_run(const proc_spec *spec, proc_result *res, err_buf *err);

void proc_result_free(proc_result *res);

#endif
