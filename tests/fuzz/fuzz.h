/*
 * fuzz.h - what the fuzz targets share: the libFuzzer entry point, an
 * invariant check that aborts (so libFuzzer and the replay runner both see
 * a crash), and a scratch file per process for modules that read paths.
 */
#ifndef UM_FUZZ_H
#define UM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * Writes @len bytes to this process's scratch file for @tag
 * ($TMPDIR/um-fuzz-TAG-PID.EXT, removed at exit) and returns its path
 * (static storage).  Aborts when the file cannot be written: a broken
 * harness must not pass for a robust library.
 */
const char *fuzz_scratch_file(const char *tag, const char *ext, const void *data, size_t len);

#endif
