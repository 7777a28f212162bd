/* augment.c -- telephone-line simulation (see augment.h). */
#include "augment.h"

#include <math.h>

#include "g711.h"

uint64_t bio_rng_next(bio_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double bio_rng_uniform(bio_rng *r) { return (bio_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

double bio_rng_normal(bio_rng *r)
{
    double u = bio_rng_uniform(r), v = bio_rng_uniform(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

typedef struct {
    double b0, b1, b2, a1, a2, z1, z2;
} biquad;

/* RBJ cookbook Butterworth (Q = 1/sqrt 2) high- or low-pass at fc Hz, fs = 8000. */
static biquad biquad_make(double fc, int highpass)
{
    double w = 2 * M_PI * fc / 8000.0, c = cos(w), al = sin(w) / (2 * M_SQRT1_2);
    double a0 = 1 + al;
    biquad q = {0};
    if (highpass) {
        q.b0 = (1 + c) / 2 / a0;
        q.b1 = -(1 + c) / a0;
    } else {
        q.b0 = (1 - c) / 2 / a0;
        q.b1 = (1 - c) / a0;
    }
    q.b2 = q.b0;
    q.a1 = -2 * c / a0;
    q.a2 = (1 - al) / a0;
    return q;
}

static double biquad_run(biquad *q, double x)
{
    double y = q->b0 * x + q->z1;
    q->z1 = q->b1 * x - q->a1 * y + q->z2;
    q->z2 = q->b2 * x - q->a2 * y;
    return y;
}

void bio_augment(int16_t *pcm, size_t n, uint64_t seed)
{
    if (n == 0) return;
    bio_rng r = {seed};
    biquad hp = biquad_make(200 + 200 * bio_rng_uniform(&r), 1);
    biquad lp = biquad_make(3000 + 600 * bio_rng_uniform(&r), 0);
    double gain = pow(10.0, (-15 + 20 * bio_rng_uniform(&r)) / 20.0);
    double snr_db = 5 + 25 * bio_rng_uniform(&r);
    int rumble = bio_rng_uniform(&r) < 0.5;

    double energy = 0;
    for (size_t i = 0; i < n; i++) {
        double y = gain * biquad_run(&lp, biquad_run(&hp, pcm[i]));
        energy += y * y;
        pcm[i] = (int16_t)(y > 32767 ? 32767 : y < -32768 ? -32768 : y);
    }
    double noise_rms = sqrt(energy / n) * pow(10.0, -snr_db / 20.0), lowpassed = 0;
    for (size_t i = 0; i < n; i++) {
        double e = bio_rng_normal(&r);
        if (rumble) {
            lowpassed = 0.95 * lowpassed + 0.3122 * e; /* unit variance one-pole low-pass */
            e = lowpassed;
        }
        double y = pcm[i] + noise_rms * e;
        int16_t s = (int16_t)(y > 32767 ? 32767 : y < -32768 ? -32768 : y);
        pcm[i] = g711_ulaw_decode1(g711_ulaw_encode1(s));
    }
}
