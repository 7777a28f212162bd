/* g711.h -- ITU-T G.711 µ-law and A-law <-> 16-bit linear PCM.
 *
 * Decoding uses 256-entry tables (the hot path: 160 samples per 20 ms message); encoding
 * follows the reference segment search. Decode(encode(x)) is the identity on every code
 * except µ-law's negative zero (0x7F decodes to 0 like 0xFF), which matters only for
 * bit-exact round-trip tests.
 */
#ifndef CALLPRINT_G711_H
#define CALLPRINT_G711_H

#include <stddef.h>
#include <stdint.h>

typedef enum { G711_ULAW = 0, G711_ALAW = 1 } g711_law;

int16_t g711_ulaw_decode1(uint8_t code);
int16_t g711_alaw_decode1(uint8_t code);
uint8_t g711_ulaw_encode1(int16_t pcm);
uint8_t g711_alaw_encode1(int16_t pcm);

/* Bulk conversions: n samples. */
void g711_decode(g711_law law, const uint8_t *in, size_t n, int16_t *out);
void g711_encode(g711_law law, const int16_t *in, size_t n, uint8_t *out);

#endif
