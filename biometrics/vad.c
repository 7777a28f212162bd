/* vad.c -- energy + spectral-shape voice activity detector (see vad.h for the rules). */
#include "vad.h"

#include <math.h>

#include "frontend.h"

#define BAND_LO 10  /* 312 Hz */
#define BAND_HI 108 /* 3375 Hz */
#define PEAK_HALF 2 /* a Hamming-windowed tone spreads over +-2 bins */

void bio_vad_init(bio_vad *v)
{
    v->nblocks = 0;
    v->head = 0;
    v->cur_min = INFINITY;
    v->cur_len = 0;
}

/* Noise floor: minimum over the finished blocks and the block being filled. */
static float vad_floor(const bio_vad *v)
{
    float f = v->cur_min;
    for (int i = 0; i < v->nblocks; i++)
        if (v->block_min[i] < f) f = v->block_min[i];
    return f;
}

static void vad_track(bio_vad *v, float e)
{
    if (e < v->cur_min) v->cur_min = e;
    if (++v->cur_len < BIO_VAD_BLOCK_LEN) return;
    v->block_min[v->head] = v->cur_min;
    v->head = (v->head + 1) % BIO_VAD_BLOCKS;
    if (v->nblocks < BIO_VAD_BLOCKS) v->nblocks++;
    v->cur_min = INFINITY;
    v->cur_len = 0;
}

/* Share of band energy inside the two strongest +-2-bin peaks. */
static float vad_tonality(const float *p, double total)
{
    int taken_lo = -100, taken_hi = -100;
    double peaks = 0;
    for (int round = 0; round < 2; round++) {
        int best = -1;
        float top = -1.0f; /* below any power: the first bin not taken starts the search */
        for (int k = BAND_LO; k <= BAND_HI; k++) {
            if (k >= taken_lo && k <= taken_hi) continue;
            if (p[k] > top) top = p[k], best = k;
        }
        for (int k = best - PEAK_HALF; k <= best + PEAK_HALF; k++)
            if (k >= BAND_LO && k <= BAND_HI && !(k >= taken_lo && k <= taken_hi)) peaks += p[k];
        taken_lo = best - PEAK_HALF;
        taken_hi = best + PEAK_HALF;
    }
    return total > 0 ? (float)(peaks / total) : 0.0f;
}

/* Sum of log(x_i) over a band computed as the log of their product: one log per band
 * instead of one per bin (the per-bin logs were a quarter of a live stream's feed cost).
 * The product is taken VAD_RUN terms at a time (values are 1e-3..1e14: a run of 8 stays far
 * inside double's range) and each partial product is split by frexp into a mantissa, which
 * multiplies the running product, and a power of two, which is added up. Equal to the sum of
 * logs up to rounding (~1e-14 relative). */
#define VAD_RUN 8

typedef struct {
    double mant; /* running product of mantissas, in [2^-k, 1] after k runs */
    long exp2;   /* sum of binary exponents */
    double run;  /* product of the current run */
    int nrun;
} vad_logsum;

static void logsum_add(vad_logsum *a, double x)
{
    a->run *= x;
    if (++a->nrun < VAD_RUN) return;
    int e;
    a->mant *= frexp(a->run, &e);
    a->exp2 += e;
    if (a->mant < 0x1p-500) { /* renormalise before it could underflow (never at ~13 runs) */
        a->mant = frexp(a->mant, &e);
        a->exp2 += e;
    }
    a->run = 1.0;
    a->nrun = 0;
}

static double logsum_value(const vad_logsum *a)
{
    return log(a->mant * a->run) + (double)a->exp2 * M_LN2;
}

bio_vad_class bio_vad_frame_class(bio_vad *v, const float *power, const float *deemph,
                                  bio_vad_frame *info)
{
    const int nb = BAND_HI - BAND_LO + 1;
    double sum = 0, dsum = 0;
    vad_logsum dl = {1.0, 0, 1.0, 0}, pl = {1.0, 0, 1.0, 0};
    for (int k = BAND_LO; k <= BAND_HI; k++) {
        double d = (double)power[k] * deemph[k];
        sum += power[k];
        dsum += d;
        logsum_add(&dl, d + 1e-3);
        logsum_add(&pl, power[k] + 1e-3);
    }
    double logsum = logsum_value(&dl), plogsum = logsum_value(&pl);
    double mean = sum / nb, dmean = dsum / nb;
    float e = (float)(10.0 * log10(mean + 1e-3));
    float flat = dmean > 0 ? (float)(exp(logsum / nb) / (dmean + 1e-3)) : 1.0f;
    float pflat = mean > 0 ? (float)(exp(plogsum / nb) / (mean + 1e-3)) : 1.0f;
    if (pflat > flat) flat = pflat;
    float tone = vad_tonality(power, sum);

    vad_track(v, e);
    float floor_db = vad_floor(v);
    if (info) *info = (bio_vad_frame){e, floor_db, flat, tone};
    if (e < BIO_VAD_ABS_MIN_DB || tone > BIO_VAD_MAX_TONALITY) return BIO_VAD_NOISE;
    if (e >= floor_db + BIO_VAD_MARGIN_DB && flat <= BIO_VAD_MAX_FLATNESS) return BIO_VAD_SPEECH;
    if (e >= floor_db + BIO_VAD_WEAK_MARGIN_DB && flat <= BIO_VAD_WEAK_MAX_FLATNESS)
        return BIO_VAD_WEAK;
    return BIO_VAD_NOISE;
}
