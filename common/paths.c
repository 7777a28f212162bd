/* paths.c -- data files found from the running program's path. See paths.h. */
#include "common/paths.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The folder above the one holding the running program (<prefix> for <prefix>/bin/x), into
 * out; false when /proc/self/exe cannot be read or the path has no two levels. */
static bool exe_prefix(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return false;
    out[n] = '\0';
    for (int level = 0; level < 2; level++) {
        char *slash = strrchr(out, '/');
        if (!slash)
            return false;
        *slash = '\0';
    }
    return true;
}

void paths_data(const char *rel, const char *fallback, char *out, size_t cap)
{
    char prefix[PATH_MAX];
    if (exe_prefix(prefix, sizeof prefix)) {
        int k = snprintf(out, cap, "%s/share/callprint/%s", prefix, rel);
        if (k > 0 && (size_t)k < cap && access(out, R_OK) == 0)
            return;
    }
    snprintf(out, cap, "%s", fallback);
}

const char *paths_data_env(const char *env, const char *rel, const char *fallback, char *out,
                           size_t cap)
{
    const char *v = getenv(env);
    if (v && *v)
        return v;
    paths_data(rel, fallback, out, cap);
    return out;
}
