/* train_tmat.c -- Baum-Welch statistics per segment and the total-variability matrix.
 *
 * EM (Kenny; Dehak et al. 2011) on centred, whitened statistics, batched so that the big
 * updates are matrix products:
 *   E-step per segment: L = I + sum_c N_c P_c, w = L^-1 Tw' Fw, Q = L^-1 + w w'
 *   accumulators:       A_c += N_c Q       (all c at once: Rp x B times B x C, one sgemm)
 *                       Cacc += Fw w'     (CD x B times B x R, one sgemm)
 *   M-step per c:       Tw_c = Cacc_c A_c^-1  (Cholesky solve, D right-hand sides)
 * The initial Tw is Gaussian noise from a fixed seed, scaled to the data.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "train_int.h"

#define BATCH 64

int tr_stats(const bio_ivec *iv, const tr_data *d, float **Nout, float **Fwout)
{
    const int C = iv->C, D = iv->D;
    size_t S = d->nsegs, maxT = 0;
    for (size_t s = 0; s < S; s++)
        if (d->segs[s].T > maxT) maxT = d->segs[s].T;
    float *N = calloc(S * C, sizeof(float)), *Fw = malloc(sizeof(float) * S * C * D);
    float *post = malloc(sizeof(float) * maxT * C), *work = malloc(sizeof(float) * maxT * 2 * D);
    float *F = malloc(sizeof(float) * C * D);
    if (!N || !Fw || !post || !work || !F) {
        free(N), free(Fw), free(post), free(work), free(F);
        return -1;
    }
    for (size_t s = 0; s < S; s++) {
        const tr_seg *g = &d->segs[s];
        const float *X = d->feat + g->off * D;
        bio_gmm_posteriors_batch(iv->ubm, X, g->T, post, work);
        for (size_t t = 0; t < g->T; t++)
            for (int c = 0; c < C; c++) N[s * C + c] += post[t * C + c];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, D, (int)g->T, 1.0f, post, C, X, D,
                    0.0f, F, D);
        bio_ivec_whiten(iv, N + s * C, F, Fw + s * C * D);
    }
    free(post), free(work), free(F);
    *Nout = N;
    *Fwout = Fw;
    return 0;
}

static void tmat_init(bio_ivec *iv, uint64_t seed)
{
    bio_rng r = {seed};
    size_t n = (size_t)iv->C * iv->D * iv->R;
    double scale = 1.0 / sqrt((double)iv->R) * 0.5;
    for (size_t i = 0; i < n; i++) iv->T[i] = (float)(bio_rng_normal(&r) * scale);
    bio_ivec_prepare(iv);
}

/* E-step over all segments into A (Rp x C) and Cacc (CD x R). */
static int tmat_estep(const bio_ivec *iv, const float *N, const float *Fw, size_t S, float *A,
                      float *Cacc, double *obj)
{
    const int C = iv->C, R = iv->R;
    const size_t CD = (size_t)C * iv->D, Rp = BIO_PACKED(R);
    float *W = malloc(sizeof(float) * BATCH * R), *Q = malloc(sizeof(float) * BATCH * Rp);
    float *Lp = malloc(sizeof(float) * Rp), *work = malloc(sizeof(float) * bio_ivec_work_floats(iv));
    if (!W || !Q || !Lp || !work) {
        free(W), free(Q), free(Lp), free(work);
        return -1;
    }
    memset(A, 0, sizeof(float) * Rp * C);
    memset(Cacc, 0, sizeof(float) * CD * R);
    *obj = 0;
    for (size_t s0 = 0; s0 < S; s0 += BATCH) {
        size_t B = S - s0 < BATCH ? S - s0 : BATCH;
        for (size_t b = 0; b < B; b++) {
            float *w = W + b * R, *q = Q + b * Rp;
            if (bio_ivec_extract_whitened(iv, N + (s0 + b) * C, Fw + (s0 + b) * CD, w, Lp, work))
                memset(w, 0, sizeof(float) * R);
            memcpy(q, Lp, sizeof(float) * Rp);
            LAPACKE_spptri(LAPACK_COL_MAJOR, 'U', R, q);
            size_t p = 0;
            for (int j = 0; j < R; j++)
                for (int i = 0; i <= j; i++) q[p++] += w[i] * w[j];
            *obj += cblas_sdot(R, w, 1, w, 1);
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Rp, C, (int)B, 1.0f, Q, (int)Rp,
                    N + s0 * C, C, 1.0f, A, C);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)CD, R, (int)B, 1.0f,
                    Fw + s0 * CD, (int)CD, W, R, 1.0f, Cacc, R);
    }
    *obj /= S;
    free(W), free(Q), free(Lp), free(work);
    return 0;
}

static int tmat_mstep(bio_ivec *iv, const float *A, float *Cacc)
{
    const int C = iv->C, D = iv->D, R = iv->R;
    float *full = malloc(sizeof(float) * R * R);
    if (!full) return -1;
    int rc = 0;
    for (int c = 0; c < C && rc == 0; c++) {
        size_t p = 0;
        for (int j = 0; j < R; j++)
            for (int i = 0; i <= j; i++) full[(size_t)j * R + i] = A[(p++) * C + c];
        float *Bc = Cacc + (size_t)c * D * R; /* row-major D x R == column-major R x D */
        if (LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', R, full, R) != 0 ||
            LAPACKE_spotrs(LAPACK_COL_MAJOR, 'U', R, D, full, R, Bc, R) != 0)
            rc = -1;
        else
            memcpy(iv->T + (size_t)c * D * R, Bc, sizeof(float) * D * R);
    }
    free(full);
    bio_ivec_prepare(iv);
    return rc;
}

int tr_tmat_train(bio_ivec *iv, const float *N, const float *Fw, size_t S,
                  const bio_train_opts *o)
{
    const size_t CD = (size_t)iv->C * iv->D, Rp = BIO_PACKED(iv->R);
    float *A = malloc(sizeof(float) * Rp * iv->C), *Cacc = malloc(sizeof(float) * CD * iv->R);
    int rc = A && Cacc ? 0 : -1;
    if (rc == 0) tmat_init(iv, o->seed ^ 0x7461u);
    for (int it = 0; it < o->tmat_iters && rc == 0; it++) {
        double obj = 0;
        rc = tmat_estep(iv, N, Fw, S, A, Cacc, &obj);
        if (rc == 0) rc = tmat_mstep(iv, A, Cacc);
        TR_LOG(o, "T-matrix iter %d: mean |w|^2 %.3f", it, obj);
    }
    free(A);
    free(Cacc);
    return rc;
}
