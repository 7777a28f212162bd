/* backend.h -- from i-vector to calibrated score.
 *
 * embed:  y = normalise(P (w - mean)), P = WCCN * LDA (L x R); then the PLDA coordinates
 *         z = V (y - mu), where V makes the within-speaker covariance I and the
 *         between-speaker covariance diag(psi) (two-covariance PLDA, Ioffe 2006). The
 *         PLDA log-likelihood ratio of two utterances is then, per dimension,
 *             p_i x_i y_i + q_i (x_i^2 + y_i^2)   (+ a constant),
 *         so each side is stored as e = sqrt(p) * z and a self-term c = sum q z^2, and the
 *         raw score is e1 . e2 + c1 + c2: still one dot product, and 1:N one sgemv.
 *         (With V = I, mu = 0, sqrt p = 1, q = 0 this is plain cosine scoring.)
 * norm:   adaptive symmetric normalisation (AS-norm): each side is scored against a cohort of
 *         training speakers kept in the model; the mean and deviation of its top-N cohort
 *         scores normalise the raw score: s = ((r - mu_e)/sd_e + (r - mu_t)/sd_t) / 2.
 *         The enrolment side's (mu, sd) are stored in the voiceprint so scoring never needs
 *         the enrolment audio again.
 * calibrate: 100 / (1 + exp(-z)), z = a s + b + (c + d s) log t, so scores read as a
 *         probability-like 0-100 scale. a and b are fitted by logistic regression on training
 *         trials; c and d (duration-aware calibration, zero in models without it) on trials
 *         of several test lengths, t being the test's net speech clamped to the range they were
 *         fitted on: a longer test's normalised score separates better, so its slope is
 *         steeper, and one threshold then admits a like share of impostors at every length.
 */
#ifndef CALLPRINT_BIO_BACKEND_H
#define CALLPRINT_BIO_BACKEND_H

#include "model.h"

typedef struct {
    float mu, sd;
} bio_norm;

/* e: m->L floats, *c its self-term. Returns -1 if the projected vector is zero. */
int bio_backend_embed(const bio_model *m, const float *w, float *e, float *c);
/* PLDA coordinates (e, c) of a unit-length projected vector y (also used by training). */
void bio_backend_plda(const bio_model *m, const float *y, float *e, float *c);
double bio_backend_raw(const bio_model *m, const float *e1, float c1, const float *e2, float c2);
/* Cohort statistics of (e, c); scratch needs m->K floats. */
bio_norm bio_backend_norm(const bio_model *m, const float *e, float c, float *scratch);
double bio_backend_snorm(double raw, bio_norm a, bio_norm b);
/* speech_seconds: the test's net speech (duration-aware terms). */
double bio_backend_calibrate(const bio_model *m, double s, double speech_seconds);

/* The embedding of everything a stream was fed (stream.c; used by gallery.c). */
bio_status bio_stream_embedding(bio_stream *s, const float **emb, float *c, bio_norm *norm);

#endif
