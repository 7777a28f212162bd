/* backend.h -- from i-vector to calibrated score.
 *
 * embed:  e = normalise(P (w - mean)), P = WCCN * LDA (L x R), unit length, so the raw score
 *         of two utterances is a dot product (cosine) -- and 1:N is one matrix-vector product.
 * norm:   adaptive symmetric normalisation (AS-norm): each side is scored against a cohort of
 *         training speakers kept in the model; the mean and deviation of its top-N cohort
 *         scores normalise the raw score: s = ((r - mu_e)/sd_e + (r - mu_t)/sd_t) / 2.
 *         The enrolment side's (mu, sd) are stored in the voiceprint so scoring never needs
 *         the enrolment audio again.
 * calibrate: 100 / (1 + exp(-(a s + b))), a and b fitted by logistic regression on training
 *         trials, so scores read as a probability-like 0-100 scale.
 */
#ifndef CALLPRINT_BIO_BACKEND_H
#define CALLPRINT_BIO_BACKEND_H

#include "model.h"

typedef struct {
    float mu, sd;
} bio_norm;

/* e: m->L floats. Returns -1 if the projected vector is zero. */
int bio_backend_embed(const bio_model *m, const float *w, float *e);
/* Cohort statistics of e; scratch needs m->K floats. */
bio_norm bio_backend_norm(const bio_model *m, const float *e, float *scratch);
double bio_backend_snorm(double raw, bio_norm a, bio_norm b);
double bio_backend_calibrate(const bio_model *m, double s);

/* The embedding of everything a stream was fed (stream.c; used by gallery.c). */
bio_status bio_stream_embedding(bio_stream *s, const float **emb, bio_norm *norm);

#endif
