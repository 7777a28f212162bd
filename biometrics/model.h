/* model.h -- the trained model (internal layout) and its file format.
 *
 * File (all integers and floats little-endian):
 *   "CPBIOMDL" | u32 version | config: 4 x f64 (thr_verified, thr_not_sure,
 *   min_enroll_speech, min_verify_speech) | 8-byte SHA-256 prefix of the config |
 *   u64 payload length | 32-byte SHA-256 of the payload | payload
 * Payload: u32 C, D, R, L, K, asnorm_top | f32 calib_a, calib_b | f32 arrays: cmvn prior
 *   mean[NCEP], var[NCEP], ubm weight[C], mean[CD], var[CD], Tw[CD x R], ivec mean[R],
 *   projection[L x R], plda mean[L], plda transform[L x L], plda sqrt_p[L], plda q[L],
 *   cohort[K x L], cohort self-terms[K]; from version 2 on, the duration block:
 *   f32 calib_dur, calib_dur_s, calib_dmin, calib_dmax (backend.h). Version 1 files (no
 *   block) still load, with the duration terms zero, so they score exactly as before.
 * The model id (stamped into every voiceprint) is the first 8 bytes of the payload hash, so
 * re-tuning the thresholds in the config block (callprint-bio eval --write-thresholds) does
 * not invalidate enrolled voiceprints, while any retraining does. Both hashes are checked on
 * load, so a corrupt model is refused rather than silently mis-scoring.
 */
#ifndef CALLPRINT_BIO_MODEL_H
#define CALLPRINT_BIO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bio.h"
#include "frontend.h"
#include "gmm.h"
#include "ivector.h"

#define BIO_MODEL_MAGIC "CPBIOMDL"
#define BIO_MODEL_VERSION 2u
#define BIO_MODEL_VERSION_MIN 1u /* oldest version still loaded */
#define BIO_MODEL_ID_LEN 8
#define BIO_MODEL_CONFIG_OFFSET 12 /* magic + version */
#define BIO_MODEL_CONFIG_LEN 40    /* 4 x f64 + 8-byte hash */

struct bio_model {
    bio_config config;
    uint8_t id[BIO_MODEL_ID_LEN];
    float cmvn_mean[BIO_FE_NCEP], cmvn_var[BIO_FE_NCEP];
    bio_fe_tables *fe;
    bio_gmm ubm;
    bio_ivec iv;
    int L, K, asnorm_top;
    float *ivec_mean; /* R */
    float *proj;      /* L x R: LDA then WCCN */
    float *plda_mean; /* L: mean of length-normalised projections */
    float *plda_V;    /* L x L: diagonalises within (-> I) and between (-> diag psi) */
    float *plda_sp;   /* L: sqrt(psi / (2 psi + 1)) */
    float *plda_q;    /* L: (1/(psi+1) - (psi+1)/(2 psi+1)) / 2 */
    float *cohort;    /* K x L scaled PLDA coordinates */
    float *cohort_c;  /* K self-terms */
    float calib_a, calib_b;
    /* Duration-aware calibration (0, 0: none): log-odds + (dur + dur_s * s) * log(t), t the
     * test's net speech clamped to [dmin, dmax], the range the terms were fitted on. */
    float calib_dur, calib_dur_s, calib_dmin, calib_dmax;
};

/* Allocate all arrays for the given sizes (training fills them). */
bio_model *bio_model_alloc(int C, int D, int R, int L, int K, char *err, size_t errlen);
/* After the parameters are set: derived tables (front end, GMM terms, P_c). */
int bio_model_finish(bio_model *m, char *err, size_t errlen);
/* Serialise to a malloc'd buffer (sets m->id). */
uint8_t *bio_model_serialize(bio_model *m, size_t *len);
/* Parse a whole model file image. */
bio_model *bio_model_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Rewrite the config block of a model image in place (thresholds). */
void bio_model_image_set_config(uint8_t *buf, const bio_config *cfg);

/* Little-endian helpers shared with voiceprint.c. */
void bio_put_u32(uint8_t *p, uint32_t v);
uint32_t bio_get_u32(const uint8_t *p);
void bio_put_f32(uint8_t *p, float v);
float bio_get_f32(const uint8_t *p);
void bio_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
