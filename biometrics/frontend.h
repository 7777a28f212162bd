/* frontend.h -- streaming acoustic front end: 8 kHz PCM in, normalised MFCC+delta frames out.
 *
 * Per 10 ms hop: pre-emphasis, 25 ms Hamming frame, FFTW real FFT, 24-band mel filterbank
 * (300-3400 Hz, the telephone band), log, DCT to 20 cepstra (c0..c19). The voice activity
 * detector (vad.h) looks at the same power spectrum; only speech frames go on: strong ones,
 * and weak ones joined to strong ones (a run of weak frames is held, up to BIO_VAD_LOOKAHEAD
 * of them, until a strong frame accepts it or a noise frame drops it). Cepstra of
 * speech frames are normalised by a running (exponentially forgetting, ~60 s) mean and
 * variance that starts from a prior learnt at training time, so normalisation is causal and
 * incremental. Deltas use +-2 frames, which delays each output by two speech frames.
 *
 * The tables (window, filterbank, DCT, FFTW plan, CMVN prior) are read-only and shared by
 * every stream; the per-stream state (bio_fe) is a few KB. Frames are emitted through a
 * callback so the caller decides what to do with them (GMM statistics or training storage).
 * The output depends only on the sample sequence, never on how it is split into blocks.
 */
#ifndef CALLPRINT_BIO_FRONTEND_H
#define CALLPRINT_BIO_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "vad.h"

#define BIO_FE_FRAME 200 /* 25 ms */
#define BIO_FE_HOP 80    /* 10 ms */
#define BIO_FE_NFFT 256
#define BIO_FE_NBINS (BIO_FE_NFFT / 2 + 1)
#define BIO_FE_NMEL 24
#define BIO_FE_NCEP 20
#define BIO_FE_DIM (2 * BIO_FE_NCEP)
#define BIO_FE_DELTA 2       /* delta window: +-2 frames */
#define BIO_FE_CMVN_TAU 6000  /* forgetting time constant, frames (60 s: measured best) */
#define BIO_FE_CMVN_PRIOR 1000 /* weight of the prior, in frames (10 s) */

typedef struct bio_fe_tables bio_fe_tables;

typedef struct {
    float buf[BIO_FE_FRAME]; /* pre-emphasised samples of the frame being filled */
    int fill;
    float prev;              /* last input sample, for pre-emphasis */
    bio_vad vad;
    int hang;                /* weak frames that may still continue the speech before */
    int nheld;               /* weak frames awaiting a strong one (raw cepstra below) */
    float held[BIO_VAD_LOOKAHEAD][BIO_FE_NCEP];
    double mean[BIO_FE_NCEP], var[BIO_FE_NCEP];
    double nspeech;          /* speech frames seen (for CMVN weights) */
    float ring[2 * BIO_FE_DELTA + 1][BIO_FE_NCEP]; /* normalised cepstra awaiting deltas */
    int nring;
    uint64_t frames;         /* all frames */
} bio_fe;

typedef void (*bio_fe_emit)(void *ctx, const float *feat); /* BIO_FE_DIM floats */

/* prior_mean/prior_var: raw-cepstrum statistics of speech (NULL: 0 and 1, for training's
 * first pass). raw != 0 emits raw cepstra (no CMVN, zero deltas) to learn that prior. */
bio_fe_tables *bio_fe_tables_new(const float *prior_mean, const float *prior_var, int raw);
void bio_fe_tables_free(bio_fe_tables *t);

void bio_fe_init(bio_fe *fe, const bio_fe_tables *t);
void bio_fe_feed(bio_fe *fe, const bio_fe_tables *t, const int16_t *pcm, size_t n,
                 bio_fe_emit emit, void *ctx);
double bio_fe_speech_seconds(const bio_fe *fe);

#endif
