/* frontend.c -- streaming MFCC + VAD + running CMVN + deltas (design in frontend.h). */
#include "frontend.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PREEMPH 0.97f
#define MEL_LO 300.0
#define MEL_HI 3400.0
#define LOG_FLOOR 1.0f

struct bio_fe_tables {
    float window[BIO_FE_FRAME];
    float deemph[BIO_FE_NBINS]; /* 1 / |1 - a e^-jw|^2: undoes pre-emphasis for the VAD */
    int mel_lo[BIO_FE_NMEL], mel_hi[BIO_FE_NMEL];   /* bin range of each triangle */
    float mel_w[BIO_FE_NMEL][BIO_FE_NBINS];
    float dct[BIO_FE_NCEP][BIO_FE_NMEL];
    float prior_mean[BIO_FE_NCEP], prior_var[BIO_FE_NCEP];
    int raw;
    fftwf_plan plan; /* r2c, unaligned: executed on per-call stack buffers (new-array API) */
};

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10.0, mel / 2595.0) - 1.0); }

static void tables_filterbank(bio_fe_tables *t)
{
    double edges[BIO_FE_NMEL + 2];
    double mlo = hz_to_mel(MEL_LO), mhi = hz_to_mel(MEL_HI);
    for (int i = 0; i < BIO_FE_NMEL + 2; i++)
        edges[i] = mel_to_hz(mlo + (mhi - mlo) * i / (BIO_FE_NMEL + 1)) * BIO_FE_NFFT / 8000.0;
    memset(t->mel_w, 0, sizeof t->mel_w);
    for (int m = 0; m < BIO_FE_NMEL; m++) {
        double l = edges[m], c = edges[m + 1], r = edges[m + 2];
        t->mel_lo[m] = (int)ceil(l);
        t->mel_hi[m] = (int)floor(r);
        for (int k = t->mel_lo[m]; k <= t->mel_hi[m]; k++)
            t->mel_w[m][k] = (float)(k <= c ? (k - l) / (c - l) : (r - k) / (r - c));
    }
}

bio_fe_tables *bio_fe_tables_new(const float *prior_mean, const float *prior_var, int raw)
{
    bio_fe_tables *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    for (int n = 0; n < BIO_FE_FRAME; n++)
        t->window[n] = (float)(0.54 - 0.46 * cos(2 * M_PI * n / (BIO_FE_FRAME - 1)));
    tables_filterbank(t);
    for (int k = 0; k < BIO_FE_NBINS; k++)
        t->deemph[k] = (float)(1.0 / (1.0 + PREEMPH * PREEMPH -
                                      2.0 * PREEMPH * cos(2 * M_PI * k / BIO_FE_NFFT)));
    for (int c = 0; c < BIO_FE_NCEP; c++)
        for (int m = 0; m < BIO_FE_NMEL; m++)
            t->dct[c][m] = (float)(sqrt((c ? 2.0 : 1.0) / BIO_FE_NMEL) *
                                   cos(M_PI * c * (m + 0.5) / BIO_FE_NMEL));
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        t->prior_mean[c] = prior_mean ? prior_mean[c] : 0.0f;
        t->prior_var[c] = prior_var ? prior_var[c] : 1.0f;
    }
    t->raw = raw;
    float in[BIO_FE_NFFT];
    fftwf_complex out[BIO_FE_NBINS];
    t->plan = fftwf_plan_dft_r2c_1d(BIO_FE_NFFT, in, out, FFTW_ESTIMATE | FFTW_UNALIGNED);
    if (!t->plan) {
        free(t);
        return NULL;
    }
    return t;
}

void bio_fe_tables_free(bio_fe_tables *t)
{
    if (!t) return;
    fftwf_destroy_plan(t->plan);
    free(t);
}

void bio_fe_init(bio_fe *fe, const bio_fe_tables *t)
{
    memset(fe, 0, sizeof *fe);
    bio_vad_init(&fe->vad);
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        fe->mean[c] = t->prior_mean[c];
        fe->var[c] = t->prior_var[c];
    }
}

double bio_fe_speech_seconds(const bio_fe *fe) { return fe->nspeech * BIO_FE_HOP / 8000.0; }

static void fe_power(const bio_fe *fe, const bio_fe_tables *t, float *power)
{
    float in[BIO_FE_NFFT];
    fftwf_complex out[BIO_FE_NBINS];
    for (int n = 0; n < BIO_FE_FRAME; n++) in[n] = fe->buf[n] * t->window[n];
    memset(in + BIO_FE_FRAME, 0, sizeof(float) * (BIO_FE_NFFT - BIO_FE_FRAME));
    fftwf_execute_dft_r2c(t->plan, in, out);
    for (int k = 0; k < BIO_FE_NBINS; k++) power[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
}

static void fe_cepstra(const bio_fe_tables *t, const float *power, float *cep)
{
    float logmel[BIO_FE_NMEL];
    for (int m = 0; m < BIO_FE_NMEL; m++) {
        float e = 0;
        for (int k = t->mel_lo[m]; k <= t->mel_hi[m]; k++) e += t->mel_w[m][k] * power[k];
        logmel[m] = logf(e + LOG_FLOOR);
    }
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        float s = 0;
        for (int m = 0; m < BIO_FE_NMEL; m++) s += t->dct[c][m] * logmel[m];
        cep[c] = s;
    }
}

/* Running mean/variance with weight max(1/(n+prior), 1/tau): a MAP start that becomes an
 * exponential ~tau-frame window. Normalises cep in place. */
static void fe_cmvn(bio_fe *fe, float *cep)
{
    fe->nspeech += 1;
    double a = 1.0 / (fe->nspeech + BIO_FE_CMVN_PRIOR);
    if (a < 1.0 / BIO_FE_CMVN_TAU) a = 1.0 / BIO_FE_CMVN_TAU;
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        double d = cep[c] - fe->mean[c];
        fe->mean[c] += a * d;
        fe->var[c] = (1 - a) * (fe->var[c] + a * d * d);
        cep[c] = (float)((cep[c] - fe->mean[c]) / sqrt(fe->var[c] + 1e-6));
    }
}

/* Push a normalised frame; once the +-2 window is full emit the centre frame with deltas. */
static void fe_delta(bio_fe *fe, const float *cep, bio_fe_emit emit, void *ctx)
{
    const int W = 2 * BIO_FE_DELTA + 1;
    if (fe->nring == W) {
        memmove(fe->ring[0], fe->ring[1], sizeof(fe->ring[0]) * (W - 1));
        fe->nring--;
    }
    memcpy(fe->ring[fe->nring++], cep, sizeof(fe->ring[0]));
    if (fe->nring < W) return;
    float feat[BIO_FE_DIM];
    for (int c = 0; c < BIO_FE_NCEP; c++) {
        feat[c] = fe->ring[BIO_FE_DELTA][c];
        float d = 0;
        for (int k = 1; k <= BIO_FE_DELTA; k++)
            d += k * (fe->ring[BIO_FE_DELTA + k][c] - fe->ring[BIO_FE_DELTA - k][c]);
        feat[BIO_FE_NCEP + c] = d / 10.0f; /* 2 * (1 + 4) */
    }
    emit(ctx, feat);
}

/* A speech frame's raw cepstra: to the emitter (raw mode) or through CMVN and deltas. */
static void fe_accept(bio_fe *fe, const bio_fe_tables *t, float *cep, bio_fe_emit emit, void *ctx)
{
    if (t->raw) {
        fe->nspeech += 1;
        float feat[BIO_FE_DIM] = {0};
        memcpy(feat, cep, sizeof(float) * BIO_FE_NCEP);
        emit(ctx, feat);
        return;
    }
    fe_cmvn(fe, cep);
    fe_delta(fe, cep, emit, ctx);
}

/* Hysteresis (vad.h): strong frames go on and release the weak frames held before them; weak
 * frames go on after speech, otherwise wait (the oldest falls out of a full hold); noise ends
 * the run and drops what was held. */
static void fe_frame(bio_fe *fe, const bio_fe_tables *t, bio_fe_emit emit, void *ctx)
{
    float power[BIO_FE_NBINS];
    fe_power(fe, t, power);
    fe->frames++;
    bio_vad_class cls = bio_vad_frame_class(&fe->vad, power, t->deemph, NULL);
    if (cls == BIO_VAD_NOISE) {
        fe->hang = 0;
        fe->nheld = 0;
        return;
    }
    float cep[BIO_FE_NCEP];
    fe_cepstra(t, power, cep);
    if (cls == BIO_VAD_WEAK && fe->hang > 0) {
        fe->hang--;
        fe_accept(fe, t, cep, emit, ctx);
        return;
    }
    if (cls == BIO_VAD_WEAK) {
        if (fe->nheld == BIO_VAD_LOOKAHEAD) {
            memmove(fe->held[0], fe->held[1], sizeof(fe->held[0]) * (BIO_VAD_LOOKAHEAD - 1));
            fe->nheld--;
        }
        memcpy(fe->held[fe->nheld++], cep, sizeof cep);
        return;
    }
    for (int i = 0; i < fe->nheld; i++) fe_accept(fe, t, fe->held[i], emit, ctx);
    fe->nheld = 0;
    fe->hang = BIO_VAD_HANGOVER;
    fe_accept(fe, t, cep, emit, ctx);
}

void bio_fe_feed(bio_fe *fe, const bio_fe_tables *t, const int16_t *pcm, size_t n,
                 bio_fe_emit emit, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        float x = pcm[i];
        fe->buf[fe->fill++] = x - PREEMPH * fe->prev;
        fe->prev = x;
        if (fe->fill < BIO_FE_FRAME) continue;
        fe_frame(fe, t, emit, ctx);
        memmove(fe->buf, fe->buf + BIO_FE_HOP, sizeof(float) * (BIO_FE_FRAME - BIO_FE_HOP));
        fe->fill = BIO_FE_FRAME - BIO_FE_HOP;
    }
}
