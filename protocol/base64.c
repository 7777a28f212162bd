/* base64.c -- strict RFC 4648 base64, the decoder on the media hot path.
 *
 * Decoding runs once per 20 ms media frame per stream, so it is table driven: one lookup per
 * character, invalid characters map to 0xFF and are collected with a single OR over each
 * quantum, so the inner loop has no per-character branch. Strictness (RFC 4648 section 3.5,
 * "canonical encoding") is checked only on the last quantum, the only place where '=' may
 * appear: "xx==" needs the low 4 bits of the second symbol clear, "xxx=" the low 2 bits of
 * the third. The output size is known before anything is written, so a short buffer is
 * reported without a partial write.
 */
#include "base64.h"

#define BAD 0xFF

static const char b64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Symbol value of every byte; BAD for everything outside the alphabet ('=' included: the
 * padding is handled separately). */
static const uint8_t b64_value[256] = {
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0x00 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0x10 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, 62,  BAD, BAD, BAD, 63,  /* 0x20 */
    52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  BAD, BAD, BAD, BAD, BAD, BAD, /* 0x30 */
    BAD, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  /* 0x40 */
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  BAD, BAD, BAD, BAD, BAD, /* 0x50 */
    BAD, 26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,  /* 0x60 */
    41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  BAD, BAD, BAD, BAD, BAD, /* 0x70 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0x80 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0x90 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xA0 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xB0 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xC0 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xD0 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xE0 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, /* 0xF0 */
};

/* Classify the final quantum: how many '=' it ends with (0, 1 or 2), or -1 when a '=' sits
 * anywhere else in it. */
static int b64_padding(const char *q)
{
    int pad = (q[3] == '=') + (q[3] == '=' && q[2] == '=');
    if (q[0] == '=' || q[1] == '=' || (q[2] == '=' && q[3] != '='))
        return -1;
    return pad;
}

b64_status b64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (len % 4 != 0)
        return B64_ERR_LENGTH;
    if (len == 0) {
        *out_len = 0;
        return B64_OK;
    }
    const unsigned char *s = (const unsigned char *)in;
    int pad = b64_padding(in + len - 4);
    if (pad < 0)
        return B64_ERR_PADDING;
    size_t n = len / 4 * 3 - (size_t)pad;
    if (n > cap)
        return B64_ERR_SPACE;

    /* Every full quantum but the last: no '=' allowed (it maps to BAD). */
    size_t full = len - 4, o = 0;
    for (size_t i = 0; i < full; i += 4) {
        uint8_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        uint8_t c = b64_value[s[i + 2]], d = b64_value[s[i + 3]];
        if ((a | b | c | d) & 0xC0) /* BAD has the top bits set, symbols never */
            return B64_ERR_CHAR;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }

    /* The last quantum, with its padding replaced by zero symbols. */
    const unsigned char *q = s + full;
    uint8_t a = b64_value[q[0]], b = b64_value[q[1]];
    uint8_t c = pad >= 2 ? 0 : b64_value[q[2]], d = pad >= 1 ? 0 : b64_value[q[3]];
    if ((a | b | c | d) & 0xC0)
        return B64_ERR_CHAR;
    if ((pad == 2 && (b & 0x0F)) || (pad == 1 && (c & 0x03)))
        return B64_ERR_PADDING;
    uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
    out[o++] = (uint8_t)(v >> 16);
    if (pad < 2)
        out[o++] = (uint8_t)(v >> 8);
    if (pad < 1)
        out[o++] = (uint8_t)v;
    *out_len = o;
    return B64_OK;
}

size_t b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t need = B64_ENCODED_LEN(len);
    if (cap < need + 1) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

const char *b64_strerror(b64_status s)
{
    switch (s) {
    case B64_OK:
        return "ok";
    case B64_ERR_LENGTH:
        return "length is not a multiple of 4";
    case B64_ERR_CHAR:
        return "character outside the base64 alphabet";
    case B64_ERR_PADDING:
        return "misplaced padding or non-canonical trailing bits";
    case B64_ERR_SPACE:
        return "decoded data larger than the buffer";
    }
    return "unknown base64 error";
}
