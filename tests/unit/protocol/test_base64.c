/* test_base64.c -- strict base64: RFC 4648 section 10 vectors, every strictness rule,
 * buffer limits, and encode/decode round trips over all lengths. */
#include "base64.h"

#include <criterion/criterion.h>
#include <string.h>

static const struct {
    const char *plain, *encoded;
} rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static b64_status decode(const char *in, uint8_t *out, size_t cap, size_t *n)
{
    return b64_decode(in, strlen(in), out, cap, n);
}

Test(base64, rfc4648_vectors_decode)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        uint8_t out[16];
        size_t n = 99;
        cr_assert_eq(decode(rfc4648[i].encoded, out, sizeof(out), &n), B64_OK, "%s",
                     rfc4648[i].encoded);
        cr_assert_eq(n, strlen(rfc4648[i].plain));
        cr_assert_arr_eq(out, rfc4648[i].plain, n);
    }
}

Test(base64, rfc4648_vectors_encode)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        char out[16];
        const char *p = rfc4648[i].plain;
        size_t n = b64_encode((const uint8_t *)p, strlen(p), out, sizeof(out));
        cr_assert_str_eq(out, rfc4648[i].encoded);
        cr_assert_eq(n, strlen(rfc4648[i].encoded));
    }
}

Test(base64, full_alphabet_and_binary)
{
    uint8_t all[256], back[256];
    char text[B64_ENCODED_LEN(256) + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    cr_assert_eq(b64_encode(all, 256, text, sizeof(text)), B64_ENCODED_LEN(256));
    cr_assert_str_eq(text + 0, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"
                               "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f"
                               "YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6P"
                               "kJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/"
                               "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v"
                               "8PHy8/T19vf4+fr7/P3+/w==");
    size_t n;
    cr_assert_eq(decode(text, back, sizeof(back), &n), B64_OK);
    cr_assert_eq(n, 256);
    cr_assert_arr_eq(back, all, 256);
}

Test(base64, round_trip_every_length)
{
    uint8_t in[200], out[200];
    char text[B64_ENCODED_LEN(200) + 1];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 97 + 13);
    for (size_t len = 0; len <= sizeof(in); len++) {
        size_t n = b64_encode(in, len, text, sizeof(text)), m = 0;
        cr_assert_eq(n, B64_ENCODED_LEN(len));
        cr_assert_eq(b64_decode(text, n, out, sizeof(out), &m), B64_OK, "len %zu", len);
        cr_assert_eq(m, len);
        cr_assert_arr_eq(out, in, len);
    }
}

Test(base64, rejects_non_strict_input)
{
    static const struct {
        const char *in;
        b64_status want;
    } bad[] = {
        {"Zg", B64_ERR_LENGTH},        /* missing padding */
        {"Zg=", B64_ERR_LENGTH},       /* short padding */
        {"Zm9vY", B64_ERR_LENGTH},     /* 5 characters */
        {"Zm9v\nYmFy", B64_ERR_LENGTH}, /* whitespace makes the length wrong ... */
        {"Zm9v\nYmF", B64_ERR_CHAR},   /* ... and is refused as a character */
        {"Zm 9", B64_ERR_CHAR},
        {"Zm9\t", B64_ERR_CHAR},
        {"Zm9v\r\nYm", B64_ERR_CHAR},
        {"Zm-_", B64_ERR_CHAR},        /* URL-safe alphabet is not accepted */
        {"Zm9*", B64_ERR_CHAR},
        {"Zm\x80v", B64_ERR_CHAR},     /* non-ASCII */
        {"Zh==", B64_ERR_PADDING},     /* non-zero trailing bits (RFC 4648 3.5) */
        {"Zm9=", B64_ERR_PADDING},
        {"Zm8=Zm8=", B64_ERR_CHAR},    /* padding in the middle */
        {"Z===", B64_ERR_PADDING},
        {"====", B64_ERR_PADDING},
        {"Zm=v", B64_ERR_PADDING},     /* '=' before a symbol */
        {"=m9v", B64_ERR_PADDING},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t n = 0;
        cr_expect_eq(decode(bad[i].in, out, sizeof(out), &n), bad[i].want, "case %zu", i);
    }
}

Test(base64, embedded_nul_is_a_bad_character)
{
    uint8_t out[8];
    size_t n;
    cr_assert_eq(b64_decode("Zm\0v", 4, out, sizeof(out), &n), B64_ERR_CHAR);
}

Test(base64, decode_never_writes_past_capacity)
{
    uint8_t out[8];
    size_t n = 0;
    memset(out, 0xAA, sizeof(out));
    cr_assert_eq(decode("Zm9vYmFy", out, 5, &n), B64_ERR_SPACE); /* needs 6 */
    for (size_t i = 0; i < sizeof(out); i++)
        cr_assert_eq(out[i], 0xAA, "byte %zu written", i);
    cr_assert_eq(decode("Zm9vYmE=", out, 5, &n), B64_OK); /* exactly 5 */
    cr_assert_eq(n, 5);
    cr_assert_eq(out[5], 0xAA);
    cr_assert_eq(decode("Zg==", NULL, 0, &n), B64_ERR_SPACE);
    cr_assert_eq(decode("", NULL, 0, &n), B64_OK);
    cr_assert_eq(n, 0);
}

Test(base64, encode_reports_short_buffer)
{
    char out[8];
    memset(out, 'x', sizeof(out));
    cr_assert_eq(b64_encode((const uint8_t *)"foob", 4, out, 8), 0); /* needs 8 + NUL */
    cr_assert_eq(out[0], '\0');
    cr_assert_eq(b64_encode((const uint8_t *)"foo", 3, out, 5), 4);
    cr_assert_str_eq(out, "Zm9v");
    cr_assert_eq(b64_encode((const uint8_t *)"", 0, out, 1), 0);
    cr_assert_str_eq(out, "");
}

Test(base64, strerror_names_every_status)
{
    cr_assert_str_eq(b64_strerror(B64_OK), "ok");
    cr_assert(strstr(b64_strerror(B64_ERR_LENGTH), "multiple of 4"));
    cr_assert(strstr(b64_strerror(B64_ERR_CHAR), "alphabet"));
    cr_assert(strstr(b64_strerror(B64_ERR_PADDING), "padding"));
    cr_assert(strstr(b64_strerror(B64_ERR_SPACE), "buffer"));
}
