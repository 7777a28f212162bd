/* fixture.c -- see fixture.h. */
#include "fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

char *test_fixture(const char *rel, size_t max, size_t *len)
{
    char path[1024];
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", src ? src : ".", rel);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(max + 1);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, max, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}
