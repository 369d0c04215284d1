/* scratch.c - the per-process scratch file of fuzz.h. */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

static char scratch_path[4096];

static void remove_scratch(void)
{
    if (scratch_path[0])
        unlink(scratch_path);
}

const char *fuzz_scratch_file(const char *tag, const char *ext, const void *data, size_t len)
{
    if (!scratch_path[0]) {
        const char *dir = getenv("TMPDIR");
        int n = snprintf(scratch_path, sizeof(scratch_path), "%s/um-fuzz-%s-%ld.%s",
                         dir && *dir ? dir : "/tmp", tag, (long)getpid(), ext);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof(scratch_path), "scratch path too long");
        atexit(remove_scratch);
    }
    FILE *fp = fopen(scratch_path, "wb");
    FUZZ_CHECK(fp != NULL, "cannot create %s", scratch_path);
    FUZZ_CHECK(fwrite(data, 1, len, fp) == len, "cannot write %s", scratch_path);
    FUZZ_CHECK(fclose(fp) == 0, "cannot write %s", scratch_path);
    return scratch_path;
}
