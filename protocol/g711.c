/* g711.c -- ITU-T G.711 µ-law and A-law, the classic reference algorithm.
 *
 * Decoding is a lookup in a 256-entry table per law (generated from the reference
 * expansion formulas, kept below as literal data so that no code runs at start-up and no
 * global state exists). Encoding follows the reference segment search of the public-domain
 * Sun Microsystems g711.c that every telephony stack descends from: µ-law works on the
 * 14-bit magnitude with a bias of 33, A-law on the 13-bit magnitude; the segment is the
 * position of the highest set bit and the 4 bits below it are the mantissa. The tests check
 * every code against the reference expansion and the round trip code -> PCM -> code.
 */
#include "g711.h"

static const int16_t g711_ulaw_table[256] = {
    -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
    -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
    -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
    -11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
    -7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
    -5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
    -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
    -2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
    -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
    -1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
    -876, -844, -812, -780, -748, -716, -684, -652,
    -620, -588, -556, -524, -492, -460, -428, -396,
    -372, -356, -340, -324, -308, -292, -276, -260,
    -244, -228, -212, -196, -180, -164, -148, -132,
    -120, -112, -104, -96, -88, -80, -72, -64,
    -56, -48, -40, -32, -24, -16, -8, 0,
    32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
    23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
    15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
    11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
    7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
    5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
    3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
    2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
    1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
    1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
    876, 844, 812, 780, 748, 716, 684, 652,
    620, 588, 556, 524, 492, 460, 428, 396,
    372, 356, 340, 324, 308, 292, 276, 260,
    244, 228, 212, 196, 180, 164, 148, 132,
    120, 112, 104, 96, 88, 80, 72, 64,
    56, 48, 40, 32, 24, 16, 8, 0,
};

static const int16_t g711_alaw_table[256] = {
    -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
    -7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
    -2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
    -3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
    -22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
    -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
    -11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
    -15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
    -344, -328, -376, -360, -280, -264, -312, -296,
    -472, -456, -504, -488, -408, -392, -440, -424,
    -88, -72, -120, -104, -24, -8, -56, -40,
    -216, -200, -248, -232, -152, -136, -184, -168,
    -1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
    -1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
    -688, -656, -752, -720, -560, -528, -624, -592,
    -944, -912, -1008, -976, -816, -784, -880, -848,
    5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
    7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
    2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
    3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
    22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
    30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
    11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
    15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
    344, 328, 376, 360, 280, 264, 312, 296,
    472, 456, 504, 488, 408, 392, 440, 424,
    88, 72, 120, 104, 24, 8, 56, 40,
    216, 200, 248, 232, 152, 136, 184, 168,
    1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
    1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
    688, 656, 752, 720, 560, 528, 624, 592,
    944, 912, 1008, 976, 816, 784, 880, 848,
};

/* Upper bound of each segment: µ-law on the biased 14-bit magnitude, A-law on 13 bits. */
static const int16_t g711_ulaw_seg_end[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
static const int16_t g711_alaw_seg_end[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};

#define ULAW_BIAS 0x84 /* 33 << 2: the bias, in 16-bit units */
#define ULAW_CLIP 8159 /* largest 14-bit magnitude before the bias */

static int g711_segment(int value, const int16_t *ends)
{
    int seg = 0;
    while (seg < 8 && value > ends[seg])
        seg++;
    return seg;
}

int16_t g711_ulaw_decode1(uint8_t code)
{
    return g711_ulaw_table[code];
}

int16_t g711_alaw_decode1(uint8_t code)
{
    return g711_alaw_table[code];
}

/* The reference shifts a negative int right (floor division) and then negates; written here
 * with well-defined integer arithmetic on the magnitude instead. */
uint8_t g711_ulaw_encode1(int16_t pcm)
{
    int value = pcm >= 0 ? pcm / 4 : (3 - (int)pcm) / 4; /* |floor(pcm / 4)|, 14 bits */
    int mask = pcm >= 0 ? 0xFF : 0x7F;
    if (value > ULAW_CLIP)
        value = ULAW_CLIP;
    value += ULAW_BIAS >> 2;
    int seg = g711_segment(value, g711_ulaw_seg_end);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    return (uint8_t)(((seg << 4) | ((value >> (seg + 1)) & 0x0F)) ^ mask);
}

uint8_t g711_alaw_encode1(int16_t pcm)
{
    /* 13 bits; a negative value becomes -floor(pcm / 8) - 1, as in the reference. */
    int value = pcm >= 0 ? pcm / 8 : (7 - (int)pcm) / 8 - 1;
    int mask = pcm >= 0 ? 0xD5 : 0x55;
    int seg = g711_segment(value, g711_alaw_seg_end);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int mantissa = seg < 2 ? (value >> 1) & 0x0F : (value >> seg) & 0x0F;
    return (uint8_t)(((seg << 4) | mantissa) ^ mask);
}

void g711_decode(g711_law law, const uint8_t *in, size_t n, int16_t *out)
{
    const int16_t *table = law == G711_ALAW ? g711_alaw_table : g711_ulaw_table;
    for (size_t i = 0; i < n; i++)
        out[i] = table[in[i]];
}

void g711_encode(g711_law law, const int16_t *in, size_t n, uint8_t *out)
{
    if (law == G711_ALAW) {
        for (size_t i = 0; i < n; i++)
            out[i] = g711_alaw_encode1(in[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = g711_ulaw_encode1(in[i]);
    }
}
