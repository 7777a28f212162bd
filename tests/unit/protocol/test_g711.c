/* test_g711.c -- G.711 against the reference expansion formulas (ITU-T G.711 / the Sun
 * reference code), every code of both laws, known values, round trips and clipping. */
#include "g711.h"

#include <criterion/criterion.h>

/* The reference expansions, written independently of the tables in g711.c. */
static int ref_ulaw(uint8_t code)
{
    int u = ~code & 0xFF;
    int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    return (u & 0x80) ? 0x84 - t : t - 0x84;
}

static int ref_alaw(uint8_t code)
{
    int a = code ^ 0x55, seg = (a & 0x70) >> 4;
    int t = (a & 0x0F) << 4;
    t = seg == 0 ? t + 8 : (t + 0x108) << (seg - 1);
    return (a & 0x80) ? t : -t;
}

Test(g711, every_code_matches_the_reference)
{
    for (int c = 0; c < 256; c++) {
        cr_assert_eq(g711_ulaw_decode1((uint8_t)c), ref_ulaw((uint8_t)c), "ulaw %#x", c);
        cr_assert_eq(g711_alaw_decode1((uint8_t)c), ref_alaw((uint8_t)c), "alaw %#x", c);
    }
}

Test(g711, known_values)
{
    cr_assert_eq(g711_ulaw_decode1(0x00), -32124);
    cr_assert_eq(g711_ulaw_decode1(0x80), 32124);
    cr_assert_eq(g711_ulaw_decode1(0xFF), 0);
    cr_assert_eq(g711_ulaw_decode1(0x7F), 0); /* negative zero */
    cr_assert_eq(g711_ulaw_decode1(0xFE), 8);
    cr_assert_eq(g711_ulaw_decode1(0x7E), -8);
    cr_assert_eq(g711_alaw_decode1(0xD5), 8);
    cr_assert_eq(g711_alaw_decode1(0x55), -8);
    cr_assert_eq(g711_alaw_decode1(0xAA), 32256);
    cr_assert_eq(g711_alaw_decode1(0x2A), -32256);
    cr_assert_eq(g711_ulaw_encode1(0), 0xFF);
    cr_assert_eq(g711_alaw_encode1(0), 0xD5);
    cr_assert_eq(g711_ulaw_encode1(32767), 0x80);
    cr_assert_eq(g711_ulaw_encode1(-32768), 0x00);
    cr_assert_eq(g711_alaw_encode1(32767), 0xAA);
    cr_assert_eq(g711_alaw_encode1(-32768), 0x2A);
}

Test(g711, code_round_trip_all_256)
{
    for (int c = 0; c < 256; c++) {
        uint8_t u = g711_ulaw_encode1(g711_ulaw_decode1((uint8_t)c));
        cr_assert_eq(u, c == 0x7F ? 0xFF : c, "ulaw %#x -> %#x", c, u);
        cr_assert_eq(g711_alaw_encode1(g711_alaw_decode1((uint8_t)c)), c, "alaw %#x", c);
    }
}

/* Encoding every 16-bit value lands on the code whose expansion is nearest (within the
 * quantisation step of its segment) and keeps the sign and monotonic order. */
Test(g711, encode_is_monotonic_and_close)
{
    int prev_u = -40000, prev_a = -40000;
    for (int x = -32768; x <= 32767; x++) {
        int du = g711_ulaw_decode1(g711_ulaw_encode1((int16_t)x));
        int da = g711_alaw_decode1(g711_alaw_encode1((int16_t)x));
        cr_assert_geq(du, prev_u, "ulaw not monotonic at %d", x);
        cr_assert_geq(da, prev_a, "alaw not monotonic at %d", x);
        prev_u = du;
        prev_a = da;
        int err_u = du - x < 0 ? x - du : du - x, err_a = da - x < 0 ? x - da : da - x;
        int mag = x < 0 ? -x : x;
        /* half a step of the segment, plus clipping above the largest code */
        cr_assert_leq(err_u, mag > 32124 ? mag - 32124 + 1 : mag / 16 + 8, "ulaw %d", x);
        cr_assert_leq(err_a, mag > 32256 ? mag - 32256 + 1 : mag / 16 + 16, "alaw %d", x);
    }
}

Test(g711, bulk_matches_single)
{
    uint8_t codes[256], back[256];
    int16_t pcm[256];
    for (int i = 0; i < 256; i++)
        codes[i] = (uint8_t)i;
    for (int law = G711_ULAW; law <= G711_ALAW; law++) {
        g711_decode((g711_law)law, codes, 256, pcm);
        g711_encode((g711_law)law, pcm, 256, back);
        for (int i = 0; i < 256; i++) {
            int16_t one = law == G711_ULAW ? g711_ulaw_decode1((uint8_t)i)
                                           : g711_alaw_decode1((uint8_t)i);
            cr_assert_eq(pcm[i], one);
            cr_assert_eq(back[i], (law == G711_ULAW && i == 0x7F) ? 0xFF : i);
        }
    }
}
