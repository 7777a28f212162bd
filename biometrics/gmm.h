/* gmm.h -- diagonal-covariance Gaussian mixture (the universal background model).
 *
 * Log-likelihoods are one matrix product: for x in R^D, log N_c(x) + log w_c =
 * g_c + [x*x, x] . [-ivar_c/2, mean_c*ivar_c], so a frame costs one cblas_sgemv over a
 * C x 2D matrix and a batch of frames one cblas_sgemm. Baum-Welch statistics are the
 * zeroth-order N_c = sum gamma_c and first-order F_c = sum gamma_c x, which is all an
 * i-vector needs: they add up, so a stream keeps them instead of its audio. For a batch of T
 * frames F += post' X is one sgemm too. Batching is what makes a live stream cheap: per frame,
 * the sgemv reads the whole C x 2D matrix and the rank-1 update rewrites the whole C x D F, so
 * both are memory traffic; a batch of 16 frames reads and writes them once (bio_stream).
 */
#ifndef CALLPRINT_BIO_GMM_H
#define CALLPRINT_BIO_GMM_H

#include <stddef.h>

typedef struct {
    int C, D;
    float *weight; /* C */
    float *mean;   /* C x D */
    float *var;    /* C x D */
    float *A;      /* C x 2D, derived */
    float *g;      /* C, derived */
} bio_gmm;

/* Allocate with uninitialised parameters; bio_gmm_prepare after setting them. */
int bio_gmm_alloc(bio_gmm *g, int C, int D);
void bio_gmm_free(bio_gmm *g);
void bio_gmm_prepare(bio_gmm *g);

/* Posteriors of one frame into post (C floats); work needs 2D floats. Returns log p(x). */
double bio_gmm_posteriors(const bio_gmm *g, const float *x, float *post, float *work);
/* Batch: X is T x D; post is T x C; work needs T x 2D floats. Returns sum of log p(x). */
double bio_gmm_posteriors_batch(const bio_gmm *g, const float *X, size_t T, float *post,
                                float *work);
/* N += post, F += post x^T for one frame. */
void bio_gmm_accumulate(const bio_gmm *g, const float *x, const float *post, float *N, float *F);
/* Batch: X is T x D, post T x C: N += sum_t post_t, F += post' X (one sgemm). */
void bio_gmm_accumulate_batch(const bio_gmm *g, const float *X, size_t T, const float *post,
                              float *N, float *F);

#endif
