/* fuzz_base64.c -- libFuzzer target for the strict base64 codec.
 *
 * Strictness makes decoding a bijection onto canonical text, which is what is checked:
 *   - any input that decodes re-encodes to exactly the same characters;
 *   - any bytes encode to text that decodes back to the same bytes;
 *   - decoding never writes past the capacity (ASan sees a write past `out`, whose size is
 *     taken from the input so every capacity is tried).
 */
#include "base64.h"
#include "fuzz_check.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    size_t cap = size ? data[0] % (B64_DECODED_MAX(size) + 2) : 0;
    uint8_t *out = malloc(cap ? cap : 1);
    char *text = malloc(B64_ENCODED_LEN(size) + 1);
    CHECK(out && text);

    size_t n = 0;
    b64_status st = b64_decode((const char *)data, size, out, cap, &n);
    CHECK(st == B64_OK || st == B64_ERR_LENGTH || st == B64_ERR_CHAR || st == B64_ERR_PADDING ||
          st == B64_ERR_SPACE);
    if (st == B64_OK) {
        CHECK(n <= cap);
        CHECK(b64_encode(out, n, text, B64_ENCODED_LEN(n) + 1) == size);
        CHECK(memcmp(text, data, size) == 0);
    }

    size_t len = b64_encode(data, size, text, B64_ENCODED_LEN(size) + 1);
    CHECK(len == B64_ENCODED_LEN(size));
    uint8_t *back = malloc(size ? size : 1);
    CHECK(back);
    CHECK(b64_decode(text, len, back, size, &n) == B64_OK && n == size);
    CHECK(memcmp(back, data, size) == 0);
    free(back);
    free(out);
    free(text);
    return 0;
}
