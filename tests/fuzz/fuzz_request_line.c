/* fuzz_request_line.c -- libFuzzer target for listener_target(), the parser of the request
 * line every client sends before any authentication (its result is the URL the upgrade
 * signature is checked over).
 *
 * Properties: a target, when found, is a copy of the bytes between the first two spaces of
 * the first line, non-empty, without spaces or control characters, and followed by a space;
 * nothing is read past `size` (the input is copied to an exact-size buffer for ASan).
 */
#include "fuzz_check.h"
#include "ingest/listener.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > LISTENER_HEAD_MAX)
        return 0;
    char *head = malloc(size ? size : 1);
    CHECK(head);
    memcpy(head, data, size);
    char *t = listener_target(head, size);
    if (t) {
        size_t n = strlen(t);
        const char *eol = memchr(head, '\n', size);
        const char *sp = memchr(head, ' ', size);
        CHECK(n > 0 && eol && sp && sp < eol);
        CHECK((size_t)(eol - (sp + 1)) > n && memcmp(sp + 1, t, n) == 0 && sp[1 + n] == ' ');
        for (size_t i = 0; i < n; i++)
            CHECK((unsigned char)t[i] > 0x20 && t[i] != 0x7f);
        free(t);
    }
    free(head);
    return 0;
}
