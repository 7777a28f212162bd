/* fixture.h -- reading a file of tests/fixtures/ in a Criterion test.
 *
 * The test runner sets CALLPRINT_SOURCE_DIR (tests/CMakeLists.txt); without it the fixtures are
 * looked for below the current directory, so a test binary also runs by hand from the source
 * tree. A fixture that cannot be opened fails the test (it is part of the test, not an input).
 */
#ifndef CALLPRINT_TEST_FIXTURE_H
#define CALLPRINT_TEST_FIXTURE_H

#include <stddef.h>

/* tests/fixtures/<rel>, at most max bytes of it, NUL-terminated in a new buffer (free()); its
 * length in *len when len is not NULL. */
char *test_fixture(const char *rel, size_t max, size_t *len);

#endif
