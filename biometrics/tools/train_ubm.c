/* train_ubm.c -- the universal background model: EM with binary splitting.
 *
 * Deterministic initialisation: one Gaussian with the global mean and variance; each split
 * doubles the components (means moved by +-0.2 standard deviations along every dimension),
 * followed by a few EM iterations, until the requested size. The E-step is one sgemm per
 * chunk of frames (gmm.c), the sufficient statistics [sum g x^2 | sum g x] another.
 * Variances are floored at 1% of the global variance; a starved component keeps its
 * previous parameters.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_int.h"

#define CHUNK 4096
#define VAR_FLOOR 0.01

typedef struct {
    const float *X;
    size_t T;
    int D;
    double gvar[BIO_FE_DIM];
} ubm_data;

static double ubm_em_iter(bio_gmm *g, const ubm_data *u, float *post, float *work, double *acc)
{
    const int C = g->C, D = g->D;
    bio_gmm_prepare(g);
    double *n = acc, *st = acc + C; /* st: C x 2D = [S | F] */
    memset(acc, 0, sizeof(double) * (size_t)C * (2 * D + 1));
    float *chunk_st = malloc(sizeof(float) * (size_t)C * 2 * D);
    double ll = 0;
    for (size_t t0 = 0; t0 < u->T; t0 += CHUNK) {
        size_t T = u->T - t0 < CHUNK ? u->T - t0 : CHUNK;
        ll += bio_gmm_posteriors_batch(g, u->X + t0 * D, T, post, work);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, 2 * D, (int)T, 1.0f, post, C,
                    work, 2 * D, 0.0f, chunk_st, 2 * D);
        for (size_t t = 0; t < T; t++)
            for (int c = 0; c < C; c++) n[c] += post[t * C + c];
        for (size_t i = 0; i < (size_t)C * 2 * D; i++) st[i] += chunk_st[i];
    }
    free(chunk_st);
    for (int c = 0; c < C; c++) {
        if (n[c] < 2.0 * D) continue; /* starved: keep old parameters */
        g->weight[c] = (float)(n[c] / u->T);
        for (int d = 0; d < D; d++) {
            double mu = st[(size_t)c * 2 * D + D + d] / n[c];
            double v = st[(size_t)c * 2 * D + d] / n[c] - mu * mu;
            if (v < VAR_FLOOR * u->gvar[d]) v = VAR_FLOOR * u->gvar[d];
            g->mean[c * D + d] = (float)mu;
            g->var[c * D + d] = (float)v;
        }
    }
    double wsum = 0;
    for (int c = 0; c < C; c++) wsum += g->weight[c];
    for (int c = 0; c < C; c++) g->weight[c] = (float)(g->weight[c] / wsum);
    return ll / u->T;
}

static void ubm_split(bio_gmm *g)
{
    const int C = g->C, D = g->D;
    for (int c = 0; c < C; c++) {
        g->weight[c] *= 0.5f;
        g->weight[C + c] = g->weight[c];
        for (int d = 0; d < D; d++) {
            float sd = sqrtf(g->var[c * D + d]);
            g->var[(C + c) * D + d] = g->var[c * D + d];
            g->mean[(C + c) * D + d] = g->mean[c * D + d] - 0.2f * sd;
            g->mean[c * D + d] += 0.2f * sd;
        }
    }
    g->C = 2 * C;
}

/* Evenly subsample at most o->ubm_frames frames (original audio and augmented copies). */
static float *ubm_subsample(const tr_data *d, const bio_train_opts *o, size_t *T)
{
    size_t step = d->nframes / (size_t)o->ubm_frames + 1, n = d->nframes / step;
    float *X = malloc(sizeof(float) * BIO_FE_DIM * (n ? n : 1));
    if (!X) return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(X + i * BIO_FE_DIM, d->feat + i * step * BIO_FE_DIM, sizeof(float) * BIO_FE_DIM);
    *T = n;
    return X;
}

int tr_ubm_train(bio_gmm *g, const tr_data *d, const bio_train_opts *o)
{
    const int D = BIO_FE_DIM, Cmax = g->C;
    ubm_data u = {.D = D};
    float *X = ubm_subsample(d, o, &u.T);
    float *post = malloc(sizeof(float) * CHUNK * Cmax);
    float *work = malloc(sizeof(float) * CHUNK * 2 * D);
    double *acc = malloc(sizeof(double) * (size_t)Cmax * (2 * D + 1));
    int rc = -1;
    if (!X || !post || !work || !acc || u.T < (size_t)Cmax * 10) goto out;
    u.X = X;
    g->C = 1;
    g->weight[0] = 1;
    for (int dd = 0; dd < D; dd++) {
        double s = 0, s2 = 0;
        for (size_t t = 0; t < u.T; t++) {
            s += X[t * D + dd];
            s2 += (double)X[t * D + dd] * X[t * D + dd];
        }
        g->mean[dd] = (float)(s / u.T);
        u.gvar[dd] = s2 / u.T - (s / u.T) * (s / u.T);
        g->var[dd] = (float)u.gvar[dd];
    }
    while (g->C < Cmax) {
        ubm_split(g);
        int iters = g->C == Cmax ? o->ubm_final_iters : o->ubm_iters;
        for (int it = 0; it < iters; it++) {
            double ll = ubm_em_iter(g, &u, post, work, acc);
            TR_LOG(o, "ubm C=%d iter %d: avg loglik %.4f", g->C, it, ll);
        }
    }
    bio_gmm_prepare(g);
    rc = 0;
out:
    g->C = Cmax;
    free(X);
    free(post);
    free(work);
    free(acc);
    return rc;
}
