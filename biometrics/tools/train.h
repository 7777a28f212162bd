/* train.h -- build a model file from a list of WAV files, deterministically.
 *
 * Pipeline (each stage in its own file):
 *   train_data.c     list -> audio (+ augmented telephone copies) -> features, segments
 *   train_ubm.c      diagonal GMM by EM with binary splitting from one Gaussian
 *   train_tmat.c     total-variability matrix by EM on Baum-Welch statistics
 *   train_backend.c  LDA + WCCN projection, cohort, logistic calibration, default thresholds
 * Same list + same options = same model bytes (fixed seeds, single-threaded BLAS advised).
 */
#ifndef CALLPRINT_BIO_TRAIN_H
#define CALLPRINT_BIO_TRAIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *list;   /* lines "path<TAB>speaker"; '#' comments; relative to root */
    const char *root;   /* NULL: the list's directory */
    const char *out;
    int components;     /* UBM size, power of two */
    int ivector_dim;
    int lda_dim;
    int augment;        /* augmented copies per file */
    int ubm_frames;     /* frames used for UBM EM (evenly subsampled) */
    int ubm_iters, ubm_final_iters, tmat_iters;
    int segment_frames; /* files longer than 1.5x this are cut into segments */
    int asnorm_top;
    int plda;           /* 1: two-covariance PLDA scoring, 0: cosine (default: measured better) */
    int cohort_channels; /* 1: one cohort entry per speaker and channel, 0: per speaker */
    const char *init;   /* NULL, or a model whose CMVN prior, UBM and T-matrix are reused (only
                           the back end is trained: for back-end experiments) */
    uint64_t seed;
    int verbose;
} bio_train_opts;

void bio_train_defaults(bio_train_opts *o);
int bio_train(const bio_train_opts *o, char *err, size_t errlen);

#endif
