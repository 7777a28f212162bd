/* base64.h -- strict RFC 4648 base64 (standard alphabet, '=' padding required).
 *
 * Twilio sends audio as base64 inside JSON. Decoding is strict on purpose: a payload
 * with whitespace, a missing or misplaced '=', a character outside the alphabet, or
 * non-zero trailing bits is an error, so a corrupted frame is reported instead of being
 * turned silently into noise. Pure functions, no allocation.
 */
#ifndef CALLPRINT_BASE64_H
#define CALLPRINT_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to decode `len` base64 characters (upper bound). */
#define B64_DECODED_MAX(len) (((len) / 4) * 3)
/* Characters (without NUL) needed to encode `len` bytes. */
#define B64_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

typedef enum {
    B64_OK = 0,
    B64_ERR_LENGTH = -1,  /* length not a multiple of 4 */
    B64_ERR_CHAR = -2,    /* character outside the alphabet (incl. whitespace) */
    B64_ERR_PADDING = -3, /* '=' in the wrong place or non-canonical trailing bits */
    B64_ERR_SPACE = -4,   /* output buffer too small */
} b64_status;

/* Decode `len` characters of `in` into `out` (capacity `cap`). On success returns B64_OK
 * and sets *out_len. Never writes past out[cap-1]. */
b64_status b64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* Encode `len` bytes into `out` (capacity `cap`, NUL-terminated). Returns the number of
 * characters written (without NUL), or 0 if `cap` is too small for a non-empty input. */
size_t b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

const char *b64_strerror(b64_status s);

#endif
