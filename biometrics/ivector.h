/* ivector.h -- i-vector extraction from Baum-Welch statistics (total variability model).
 *
 * With centred, whitened first-order statistics Fw_c = Sigma_c^-1/2 (F_c - N_c m_c) and the
 * whitened total-variability matrix Tw (CD x R), the i-vector is the posterior mean
 *     w = L^-1 Tw' Fw,   L = I + sum_c N_c P_c,   P_c = Tw_c' Tw_c  (R x R, precomputed).
 * The P_c are stored packed (upper triangle, LAPACK column-major packing) as the columns of
 * an Rp x C matrix, so L is one cblas_sgemv with the N vector and the solve is a packed
 * Cholesky (LAPACKE_spptrf/spptrs). The cost is fixed: it does not depend on how much audio
 * the statistics summarise, which is what makes per-second scoring of a live call cheap.
 *
 * That fixed cost is two matrix-vector products over T (CD x R) and P (Rp x C), ~9 MB of
 * model for C=256, D=40, R=100: memory-bound, the model is streamed from RAM for every
 * extraction. The batch form extracts k i-vectors with two sgemm instead, reading the model
 * once for all k (the gateway verifies many streams each second); only the R x R solves
 * remain per i-vector.
 */
#ifndef CALLPRINT_BIO_IVECTOR_H
#define CALLPRINT_BIO_IVECTOR_H

#include <stddef.h>

#include "gmm.h"

#define BIO_PACKED(R) ((size_t)(R) * ((R) + 1) / 2)

typedef struct {
    int C, D, R;
    const bio_gmm *ubm;
    float *T;   /* CD x R, whitened (row c*D+d) */
    float *isd; /* C x D: 1/sqrt(var) */
    float *P;   /* Rp x C */
} bio_ivec;

int bio_ivec_init(bio_ivec *iv, const bio_gmm *ubm, int R); /* T allocated, zeroed */
void bio_ivec_free(bio_ivec *iv);
void bio_ivec_prepare(bio_ivec *iv); /* recompute P from T */

size_t bio_ivec_work_floats(const bio_ivec *iv);
/* Centre and whiten: Fw (CD) from N (C) and F (CD). */
void bio_ivec_whiten(const bio_ivec *iv, const float *N, const float *F, float *Fw);
/* w (R) from N and whitened Fw. Lp (Rp floats) receives the Cholesky factor of L if not NULL
 * (training needs L^-1). work: bio_ivec_work_floats. Returns 0, or -1 if L is not SPD. */
int bio_ivec_extract_whitened(const bio_ivec *iv, const float *N, const float *Fw, float *w,
                              float *Lp, float *work);
/* k at once (live scoring): N is k x C, Fw k x CD, w k x R (row i = item i), each with room
 * for bio_ivec_batch_rows(k) rows (the rows past k are zeroed here and computed for nothing:
 * with OpenBLAS 0.3.21 on this Zen VM a sgemm on 5 rows costs 1.7 times one on 8, its kernel
 * takes rows 4 at a time and the leftover row costs another pass over the model). work:
 * bio_ivec_batch_work_floats(iv, k). ok[i] = 0, or -1 if item i's L is not SPD. Same results
 * as k single extractions up to float rounding (sgemm instead of sgemv, and a full blocked
 * Cholesky instead of the packed one, which the single form keeps because training needs the
 * packed factor and must reproduce the shipped model bit for bit). */
size_t bio_ivec_batch_rows(size_t k);
size_t bio_ivec_batch_work_floats(const bio_ivec *iv, size_t k);
void bio_ivec_extract_whitened_batch(const bio_ivec *iv, size_t k, float *N, float *Fw,
                                     float *w, float *work, int *ok);
/* Convenience: whiten then extract. */
int bio_ivec_extract(const bio_ivec *iv, const float *N, const float *F, float *w, float *work);

#endif
