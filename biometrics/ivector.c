/* ivector.c -- fixed-cost i-vector extraction (see ivector.h for the algebra). */
#include "ivector.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int bio_ivec_init(bio_ivec *iv, const bio_gmm *ubm, int R)
{
    memset(iv, 0, sizeof *iv);
    iv->C = ubm->C;
    iv->D = ubm->D;
    iv->R = R;
    iv->ubm = ubm;
    size_t CD = (size_t)ubm->C * ubm->D;
    iv->T = calloc(CD * R, sizeof(float));
    iv->isd = calloc(CD, sizeof(float));
    iv->P = calloc(BIO_PACKED(R) * ubm->C, sizeof(float));
    if (!iv->T || !iv->isd || !iv->P) {
        bio_ivec_free(iv);
        return -1;
    }
    for (size_t i = 0; i < CD; i++) iv->isd[i] = (float)(1.0 / sqrt(ubm->var[i]));
    return 0;
}

void bio_ivec_free(bio_ivec *iv)
{
    free(iv->T);
    free(iv->isd);
    free(iv->P);
    memset(iv, 0, sizeof *iv);
}

void bio_ivec_prepare(bio_ivec *iv)
{
    const int R = iv->R, C = iv->C, D = iv->D;
    float *full = malloc(sizeof(float) * R * R);
    if (!full) return;
    for (int c = 0; c < C; c++) {
        /* full = Tc' Tc, Tc is D x R (row-major) starting at row c*D; column-major upper. */
        cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, R, D, 1.0f,
                    iv->T + (size_t)c * D * R, R, 0.0f, full, R);
        size_t p = 0;
        for (int j = 0; j < R; j++)
            for (int i = 0; i <= j; i++) iv->P[(p++) * C + c] = full[(size_t)j * R + i];
    }
    free(full);
}

size_t bio_ivec_work_floats(const bio_ivec *iv) { return BIO_PACKED(iv->R) + (size_t)iv->C * iv->D; }

void bio_ivec_whiten(const bio_ivec *iv, const float *N, const float *F, float *Fw)
{
    const int C = iv->C, D = iv->D;
    const float *mu = iv->ubm->mean;
    for (int c = 0; c < C; c++)
        for (int d = 0; d < D; d++) {
            size_t i = (size_t)c * D + d;
            Fw[i] = (F[i] - N[c] * mu[i]) * iv->isd[i];
        }
}

/* For k items: w = Tw' Fw (k x R) and the packed sum_c N_c P_c (k x Rp) into Lp. One or
 * two items: sgemv each (a sgemm packs the whole model first, which costs more than reading
 * it twice). More: sgemm on bio_ivec_batch_rows(k) rows. */
static void ivec_products(const bio_ivec *iv, size_t k, const float *N, const float *Fw,
                          float *w, float *Lp)
{
    const int R = iv->R, C = iv->C, CD = iv->C * iv->D, Rp = (int)BIO_PACKED(iv->R);
    if (k <= 2) {
        for (size_t i = 0; i < k; i++) {
            cblas_sgemv(CblasRowMajor, CblasTrans, CD, R, 1.0f, iv->T, R, Fw + i * CD, 1, 0.0f,
                        w + i * R, 1);
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Rp, C, 1.0f, iv->P, C, N + i * C, 1, 0.0f,
                        Lp + i * Rp, 1);
        }
        return;
    }
    int rows = (int)bio_ivec_batch_rows(k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, R, CD, 1.0f, Fw, CD, iv->T, R,
                0.0f, w, R);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, Rp, C, 1.0f, N, C, iv->P, C, 0.0f,
                Lp, Rp);
}

int bio_ivec_extract_whitened(const bio_ivec *iv, const float *N, const float *Fw, float *w,
                              float *Lp, float *work)
{
    const int R = iv->R;
    float *L = Lp ? Lp : work;
    ivec_products(iv, 1, N, Fw, w, L);
    for (int j = 0; j < R; j++) L[(size_t)j + (size_t)j * (j + 1) / 2] += 1.0f;
    if (LAPACKE_spptrf(LAPACK_COL_MAJOR, 'U', R, L) != 0) return -1;
    if (LAPACKE_spptrs(LAPACK_COL_MAJOR, 'U', R, 1, L, w, R) != 0) return -1;
    return 0;
}

size_t bio_ivec_batch_rows(size_t k) { return k <= 2 ? k : (k + 3) / 4 * 4; }

size_t bio_ivec_batch_work_floats(const bio_ivec *iv, size_t k)
{
    return bio_ivec_batch_rows(k) * BIO_PACKED(iv->R) + (size_t)iv->R * iv->R;
}

/* w <- (I + packed S)^-1 w through a full, blocked Cholesky: LAPACK's packed spptrf works
 * column by column (level 2) and costs ~4x OpenBLAS's spotrf at R = 100 (120 vs 32 us). The
 * _work variants skip LAPACKE's NaN scan of the inputs. */
static int ivec_solve_full(int R, const float *S, float *full, float *w)
{
    size_t p = 0;
    for (int j = 0; j < R; j++) {
        for (int i = 0; i <= j; i++) full[(size_t)j * R + i] = S[p++];
        full[(size_t)j * R + j] += 1.0f;
    }
    if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', R, full, R) != 0) return -1;
    if (LAPACKE_spotrs_work(LAPACK_COL_MAJOR, 'U', R, 1, full, R, w, R) != 0) return -1;
    return 0;
}

void bio_ivec_extract_whitened_batch(const bio_ivec *iv, size_t k, float *N, float *Fw,
                                     float *w, float *work, int *ok)
{
    const size_t R = (size_t)iv->R, Rp = BIO_PACKED(iv->R), rows = bio_ivec_batch_rows(k);
    const size_t C = (size_t)iv->C, CD = C * (size_t)iv->D;
    float *Lp = work, *full = work + rows * Rp;
    memset(N + k * C, 0, sizeof(float) * (rows - k) * C);
    memset(Fw + k * CD, 0, sizeof(float) * (rows - k) * CD);
    ivec_products(iv, k, N, Fw, w, Lp);
    for (size_t i = 0; i < k; i++) ok[i] = ivec_solve_full(iv->R, Lp + i * Rp, full, w + i * R);
}

int bio_ivec_extract(const bio_ivec *iv, const float *N, const float *F, float *w, float *work)
{
    float *Fw = work + BIO_PACKED(iv->R);
    bio_ivec_whiten(iv, N, F, Fw);
    return bio_ivec_extract_whitened(iv, N, Fw, w, NULL, work);
}
