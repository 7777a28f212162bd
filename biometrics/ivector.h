/* ivector.h -- i-vector extraction from Baum-Welch statistics (total variability model).
 *
 * With centred, whitened first-order statistics Fw_c = Sigma_c^-1/2 (F_c - N_c m_c) and the
 * whitened total-variability matrix Tw (CD x R), the i-vector is the posterior mean
 *     w = L^-1 Tw' Fw,   L = I + sum_c N_c P_c,   P_c = Tw_c' Tw_c  (R x R, precomputed).
 * The P_c are stored packed (upper triangle, LAPACK column-major packing) as the columns of
 * an Rp x C matrix, so L is one cblas_sgemv with the N vector and the solve is a packed
 * Cholesky (LAPACKE_spptrf/spptrs). The cost is fixed: it does not depend on how much audio
 * the statistics summarise, which is what makes per-second scoring of a live call cheap.
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
/* Convenience: whiten then extract. */
int bio_ivec_extract(const bio_ivec *iv, const float *N, const float *F, float *w, float *work);

#endif
