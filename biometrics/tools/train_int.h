/* train_int.h -- data shared by the training stages (internal to tools/train*.c). */
#ifndef CALLPRINT_BIO_TRAIN_INT_H
#define CALLPRINT_BIO_TRAIN_INT_H

#include <stdio.h>

#include "gmm.h"
#include "ivector.h"
#include "model.h"
#include "train.h"

typedef struct {
    size_t off, T; /* frames in tr_data.feat */
    int spk;
    int aug;       /* 0 = original audio */
    size_t file;   /* index in the list: copies of one recording share it */
    int chan;      /* channel: 0 original, n for files under aug/c<n>/ (pre-generated codec
                      copies), 1000 + k for the k-th built-in augmented copy */
} tr_seg;

typedef struct {
    char **paths;
    int *file_spk;
    size_t nfiles;
    char **spk;
    int nspk;
    float *feat; /* all frames, BIO_FE_DIM each */
    size_t nframes, cap;
    tr_seg *segs;
    size_t nsegs, segcap;
} tr_data;

#define TR_LOG(o, ...)                                                                        \
    do {                                                                                      \
        if ((o)->verbose) {                                                                   \
            fprintf(stderr, "train: " __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                              \
        }                                                                                     \
    } while (0)

int tr_data_load_list(tr_data *d, const bio_train_opts *o, char *err, size_t errlen);
int tr_data_cmvn_prior(tr_data *d, const bio_train_opts *o, float *mean, float *var, char *err,
                       size_t errlen);
int tr_data_features(tr_data *d, const bio_train_opts *o, const float *mean, const float *var,
                     char *err, size_t errlen);
void tr_data_free(tr_data *d);

int tr_ubm_train(bio_gmm *g, const tr_data *d, const bio_train_opts *o);

/* Per-segment statistics: N (nsegs x C) and whitened Fw (nsegs x CD). */
int tr_stats(const bio_ivec *iv, const tr_data *d, float **N, float **Fw);
int tr_tmat_train(bio_ivec *iv, const float *N, const float *Fw, size_t S,
                  const bio_train_opts *o);

int tr_backend_cohort_size(const tr_data *d, const bio_train_opts *o);
int tr_backend_train(bio_model *m, const tr_data *d, const float *N, const float *Fw,
                     const bio_train_opts *o);

#endif
