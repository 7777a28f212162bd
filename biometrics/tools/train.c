/* train.c -- the training driver: runs the stages of train.h in order and writes the model. */
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train_int.h"

void bio_train_defaults(bio_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->components = 256;
    o->ivector_dim = 100;
    o->lda_dim = 90;
    o->augment = 1;
    o->ubm_frames = 300000;
    o->ubm_iters = 4;
    o->ubm_final_iters = 8;
    o->tmat_iters = 8;
    o->segment_frames = 800;
    o->asnorm_top = 100;
    o->plda = 0;
    o->seed = 20261121;
    o->verbose = 1;
}

static int write_model(bio_model *m, const char *path, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = bio_model_serialize(m, &len);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    free(buf);
    if (!ok) snprintf(err, errlen, "cannot write %s", path);
    return ok ? 0 : -1;
}

/* The UBM and T-matrix of an earlier model (train.h: init). */
static void copy_front(bio_model *m, const bio_model *init)
{
    size_t C = (size_t)m->ubm.C, CD = C * (size_t)m->ubm.D;
    memcpy(m->ubm.weight, init->ubm.weight, sizeof(float) * C);
    memcpy(m->ubm.mean, init->ubm.mean, sizeof(float) * CD);
    memcpy(m->ubm.var, init->ubm.var, sizeof(float) * CD);
    memcpy(m->iv.T, init->iv.T, sizeof(float) * CD * (size_t)m->iv.R);
}

int bio_train(const bio_train_opts *o, char *err, size_t errlen)
{
    tr_data d = {0};
    bio_model *m = NULL, *init = NULL;
    float *N = NULL, *Fw = NULL, mean[BIO_FE_NCEP], var[BIO_FE_NCEP];
    int rc = -1;
    time_t t0 = time(NULL);
    /* With init the sizes are the earlier model's (checked below), not the defaults. */
    if (!o->init && ((o->components & (o->components - 1)) || o->components < 2 ||
                     o->lda_dim > o->ivector_dim || o->ivector_dim > 1024)) {
        snprintf(err, errlen, "components must be a power of two and lda_dim <= ivector_dim <= 1024");
        return -1;
    }
    if (o->init && !(init = bio_model_load(o->init, err, errlen))) goto out;
    if (init && o->lda_dim > init->iv.R) {
        snprintf(err, errlen, "lda_dim exceeds the i-vector size of %s", o->init);
        goto out;
    }
    if (tr_data_load_list(&d, o, err, errlen) != 0) goto out;
    TR_LOG(o, "%zu files, %d speakers", d.nfiles, d.nspk);
    if (init) {
        memcpy(mean, init->cmvn_mean, sizeof mean);
        memcpy(var, init->cmvn_var, sizeof var);
    } else if (tr_data_cmvn_prior(&d, o, mean, var, err, errlen) != 0) {
        goto out;
    }
    if (tr_data_features(&d, o, mean, var, err, errlen) != 0) goto out;
    int K = tr_backend_cohort_size(&d, o);
    m = bio_model_alloc(init ? init->ubm.C : o->components, BIO_FE_DIM,
                        init ? init->iv.R : o->ivector_dim, o->lda_dim, K, err, errlen);
    if (!m) goto out;
    memcpy(m->cmvn_mean, mean, sizeof mean);
    memcpy(m->cmvn_var, var, sizeof var);
    if (init) {
        copy_front(m, init);
    } else if (tr_ubm_train(&m->ubm, &d, o) != 0) {
        snprintf(err, errlen, "UBM training failed (too little data?)");
        goto out;
    }
    TR_LOG(o, "UBM done after %lds", (long)(time(NULL) - t0));
    if (bio_model_finish(m, err, errlen) != 0) goto out;
    if (tr_stats(&m->iv, &d, &N, &Fw) != 0 ||
        (!init && tr_tmat_train(&m->iv, N, Fw, d.nsegs, o) != 0)) {
        snprintf(err, errlen, "T-matrix training failed");
        goto out;
    }
    TR_LOG(o, "T-matrix done after %lds", (long)(time(NULL) - t0));
    if (tr_backend_train(m, &d, N, Fw, o) != 0) {
        snprintf(err, errlen, "backend training failed");
        goto out;
    }
    rc = write_model(m, o->out, err, errlen);
    TR_LOG(o, "model written to %s after %lds", o->out, (long)(time(NULL) - t0));
out:
    free(N);
    free(Fw);
    bio_model_free(m);
    bio_model_free(init);
    tr_data_free(&d);
    return rc;
}
