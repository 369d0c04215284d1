/*
 * replay.c - runs a fuzz target over saved inputs without libFuzzer, so
 * that any compiler's test build exercises the corpus (and, in a sanitizer
 * build, checks it under ASan/UBSan).  Arguments are files or directories
 * (every non-dot file in it, in name order).  Fails when no input was run,
 * so that a misplaced corpus cannot pass unnoticed.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static size_t replayed;

static void run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    FUZZ_CHECK(fp != NULL && fstat(fileno(fp), &st) == 0, "cannot open %s", path);
    size_t len = (size_t)st.st_size;
    /* Exactly sized, so that ASan sees any read past the input. */
    uint8_t *buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL, "out of memory for %s", path);
    FUZZ_CHECK(fread(buf, 1, len, fp) == len, "cannot read %s", path);
    fclose(fp);
    fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    replayed++;
}

static int is_input(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

static void run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, is_input, alphasort);
    FUZZ_CHECK(n >= 0, "cannot read directory %s", dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        int len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        FUZZ_CHECK(len > 0 && (size_t)len < sizeof(path), "path too long");
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            run_file(path);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        FUZZ_CHECK(stat(argv[i], &st) == 0, "no such input: %s", argv[i]);
        if (S_ISDIR(st.st_mode))
            run_dir(argv[i]);
        else
            run_file(argv[i]);
    }
    printf("%zu inputs replayed\n", replayed);
    return replayed ? 0 : 1;
}
