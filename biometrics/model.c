/* model.c -- model allocation, (de)serialisation and loading (format in model.h). */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_LEN (BIO_MODEL_CONFIG_OFFSET + BIO_MODEL_CONFIG_LEN + 8 + 32)
#define MAX_DIM 4096

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void bio_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t bio_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void bio_put_f32(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    bio_put_u32(p, u);
}

float bio_get_f32(const uint8_t *p)
{
    uint32_t u = bio_get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

static void put_f64(uint8_t *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void bio_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

bio_model *bio_model_alloc(int C, int D, int R, int L, int K, char *err, size_t errlen)
{
    bio_model *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->config = (bio_config){.min_enroll_speech = 20.0, .min_verify_speech = BIO_MIN_VERIFY_SPEECH,
                             .thr_verified = 90.0, .thr_not_sure = 50.0};
    m->L = L;
    m->K = K;
    m->calib_dmin = m->calib_dmax = 1.0f; /* log(1) = 0: no duration terms */
    if (bio_gmm_alloc(&m->ubm, C, D) != 0) goto nomem;
    if (bio_ivec_init(&m->iv, &m->ubm, R) != 0) goto nomem;
    m->ivec_mean = calloc((size_t)R, sizeof(float));
    m->proj = calloc((size_t)L * R, sizeof(float));
    m->plda_mean = calloc((size_t)L, sizeof(float));
    m->plda_V = calloc((size_t)L * L, sizeof(float));
    m->plda_sp = calloc((size_t)L, sizeof(float));
    m->plda_q = calloc((size_t)L, sizeof(float));
    m->cohort = calloc((size_t)K * L + 1, sizeof(float));
    m->cohort_c = calloc((size_t)K + 1, sizeof(float));
    if (!m->ivec_mean || !m->proj || !m->plda_mean || !m->plda_V || !m->plda_sp || !m->plda_q ||
        !m->cohort || !m->cohort_c)
        goto nomem;
    return m;
nomem:
    seterr(err, errlen, "out of memory");
    bio_model_free(m);
    return NULL;
}

int bio_model_finish(bio_model *m, char *err, size_t errlen)
{
    bio_gmm_prepare(&m->ubm);
    size_t CD = (size_t)m->ubm.C * m->ubm.D;
    for (size_t i = 0; i < CD; i++) m->iv.isd[i] = 1.0f / sqrtf(m->ubm.var[i]);
    bio_ivec_prepare(&m->iv);
    bio_fe_tables_free(m->fe);
    m->fe = bio_fe_tables_new(m->cmvn_mean, m->cmvn_var, 0);
    if (!m->fe) {
        seterr(err, errlen, "cannot create FFT plan");
        return -1;
    }
    return 0;
}

void bio_model_free(bio_model *m)
{
    if (!m) return;
    bio_fe_tables_free(m->fe);
    bio_ivec_free(&m->iv);
    bio_gmm_free(&m->ubm);
    free(m->ivec_mean);
    free(m->proj);
    free(m->plda_mean);
    free(m->plda_V);
    free(m->plda_sp);
    free(m->plda_q);
    free(m->cohort);
    free(m->cohort_c);
    free(m);
}

bio_config bio_model_default_config(const bio_model *m)
{
    bio_config c = m->config; /* the file's four values; the short-test policy is the engine's */
    c.full_speech = BIO_FULL_SPEECH;
    c.short_verified_logit = BIO_SHORT_VERIFIED_LOGIT;
    c.short_not_verified_logit = BIO_SHORT_NOT_VERIFIED_LOGIT;
    return c;
}

/* The float arrays of the payload, in file order. */
typedef struct {
    float *p;
    size_t n;
} span;

static int model_spans(bio_model *m, span *s)
{
    size_t C = m->ubm.C, D = m->ubm.D, R = m->iv.R, L = m->L, K = m->K;
    int i = 0;
    s[i++] = (span){m->cmvn_mean, BIO_FE_NCEP};
    s[i++] = (span){m->cmvn_var, BIO_FE_NCEP};
    s[i++] = (span){m->ubm.weight, C};
    s[i++] = (span){m->ubm.mean, C * D};
    s[i++] = (span){m->ubm.var, C * D};
    s[i++] = (span){m->iv.T, C * D * R};
    s[i++] = (span){m->ivec_mean, R};
    s[i++] = (span){m->proj, L * R};
    s[i++] = (span){m->plda_mean, L};
    s[i++] = (span){m->plda_V, L * L};
    s[i++] = (span){m->plda_sp, L};
    s[i++] = (span){m->plda_q, L};
    s[i++] = (span){m->cohort, K * L};
    s[i++] = (span){m->cohort_c, K};
    return i;
}

#define PAYLOAD_HEAD 32 /* 6 x u32 + 2 x f32 */
#define DURATION_BLOCK 16 /* version 2: 4 x f32 after the arrays */

static void put_config(uint8_t *p, const bio_config *c)
{
    put_f64(p, c->thr_verified);
    put_f64(p + 8, c->thr_not_sure);
    put_f64(p + 16, c->min_enroll_speech);
    put_f64(p + 24, c->min_verify_speech);
    uint8_t h[32];
    bio_sha256(p, 32, h);
    memcpy(p + 32, h, 8);
}

void bio_model_image_set_config(uint8_t *buf, const bio_config *cfg)
{
    put_config(buf + BIO_MODEL_CONFIG_OFFSET, cfg);
}

uint8_t *bio_model_serialize(bio_model *m, size_t *len)
{
    span s[16];
    int ns = model_spans(m, s);
    size_t nf = 0;
    for (int i = 0; i < ns; i++) nf += s[i].n;
    size_t plen = PAYLOAD_HEAD + 4 * nf + DURATION_BLOCK;
    uint8_t *buf = malloc(HEADER_LEN + plen);
    if (!buf) return NULL;
    memcpy(buf, BIO_MODEL_MAGIC, 8);
    bio_put_u32(buf + 8, BIO_MODEL_VERSION);
    put_config(buf + BIO_MODEL_CONFIG_OFFSET, &m->config);
    uint8_t *p = buf + BIO_MODEL_CONFIG_OFFSET + BIO_MODEL_CONFIG_LEN;
    bio_put_u32(p, (uint32_t)plen);
    bio_put_u32(p + 4, 0);
    uint8_t *hash = p + 8, *pay = p + 40;
    uint32_t head[6] = {(uint32_t)m->ubm.C, (uint32_t)m->ubm.D, (uint32_t)m->iv.R,
                        (uint32_t)m->L, (uint32_t)m->K, (uint32_t)m->asnorm_top};
    for (int i = 0; i < 6; i++) bio_put_u32(pay + 4 * i, head[i]);
    bio_put_f32(pay + 24, m->calib_a);
    bio_put_f32(pay + 28, m->calib_b);
    uint8_t *q = pay + PAYLOAD_HEAD;
    for (int i = 0; i < ns; i++)
        for (size_t j = 0; j < s[i].n; j++, q += 4) bio_put_f32(q, s[i].p[j]);
    float dur[4] = {m->calib_dur, m->calib_dur_s, m->calib_dmin, m->calib_dmax};
    for (int i = 0; i < 4; i++) bio_put_f32(q + 4 * i, dur[i]);
    bio_sha256(pay, plen, hash);
    memcpy(m->id, hash, BIO_MODEL_ID_LEN);
    *len = HEADER_LEN + plen;
    return buf;
}

static int parse_header(const uint8_t *buf, size_t len, bio_config *cfg, size_t *plen,
                        uint32_t *version, char *err, size_t errlen)
{
    if (len < HEADER_LEN || memcmp(buf, BIO_MODEL_MAGIC, 8) != 0) {
        seterr(err, errlen, "not a callprint model file");
        return BIO_ERR_FORMAT;
    }
    uint32_t ver = bio_get_u32(buf + 8);
    if (ver < BIO_MODEL_VERSION_MIN || ver > BIO_MODEL_VERSION) {
        seterr(err, errlen, "unsupported model version %u (expected %u to %u)", ver,
               BIO_MODEL_VERSION_MIN, BIO_MODEL_VERSION);
        return BIO_ERR_VERSION;
    }
    *version = ver;
    const uint8_t *c = buf + BIO_MODEL_CONFIG_OFFSET;
    uint8_t h[32];
    bio_sha256(c, 32, h);
    if (memcmp(h, c + 32, 8) != 0) {
        seterr(err, errlen, "model config block is corrupt");
        return BIO_ERR_FORMAT;
    }
    *cfg = (bio_config){.min_enroll_speech = get_f64(c + 16), .min_verify_speech = get_f64(c + 24),
                        .thr_verified = get_f64(c), .thr_not_sure = get_f64(c + 8)};
    const uint8_t *p = c + BIO_MODEL_CONFIG_LEN;
    *plen = bio_get_u32(p) | (size_t)bio_get_u32(p + 4) << 32;
    if (*plen != len - HEADER_LEN || *plen < PAYLOAD_HEAD) {
        seterr(err, errlen, "model file is truncated or has trailing data");
        return BIO_ERR_FORMAT;
    }
    bio_sha256(p + 40, *plen, h);
    if (memcmp(h, p + 8, 32) != 0) {
        seterr(err, errlen, "model payload checksum mismatch (corrupt file)");
        return BIO_ERR_FORMAT;
    }
    return BIO_OK;
}

/* The version 2 duration block: finite terms, 0 < dmin <= dmax. */
static int parse_duration(bio_model *m, const uint8_t *q)
{
    float v[4];
    for (int i = 0; i < 4; i++) v[i] = bio_get_f32(q + 4 * i);
    if (!isfinite(v[0]) || !isfinite(v[1]) || !(v[2] > 0) || !(v[3] >= v[2]) || !isfinite(v[3]))
        return -1;
    m->calib_dur = v[0];
    m->calib_dur_s = v[1];
    m->calib_dmin = v[2];
    m->calib_dmax = v[3];
    return 0;
}

bio_model *bio_model_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    bio_config cfg;
    size_t plen;
    uint32_t ver;
    if (parse_header(buf, len, &cfg, &plen, &ver, err, errlen) != BIO_OK) return NULL;
    const uint8_t *pay = buf + HEADER_LEN;
    uint32_t h[6];
    for (int i = 0; i < 6; i++) h[i] = bio_get_u32(pay + 4 * i);
    if (h[0] == 0 || h[0] > MAX_DIM || h[1] != BIO_FE_DIM || h[2] == 0 || h[2] > 1024 ||
        h[3] == 0 || h[3] > h[2] || h[4] > 100000 || h[5] > h[4]) {
        seterr(err, errlen, "model dimensions are invalid");
        return NULL;
    }
    bio_model *m = bio_model_alloc((int)h[0], (int)h[1], (int)h[2], (int)h[3], (int)h[4], err,
                                   errlen);
    if (!m) return NULL;
    m->config = cfg;
    m->asnorm_top = (int)h[5];
    m->calib_a = bio_get_f32(pay + 24);
    m->calib_b = bio_get_f32(pay + 28);
    span s[16];
    int ns = model_spans(m, s);
    size_t nf = 0;
    for (int i = 0; i < ns; i++) nf += s[i].n;
    size_t extra = ver >= 2 ? DURATION_BLOCK : 0;
    if (plen != PAYLOAD_HEAD + 4 * nf + extra) {
        seterr(err, errlen, "model payload size does not match its dimensions");
        bio_model_free(m);
        return NULL;
    }
    const uint8_t *q = pay + PAYLOAD_HEAD;
    for (int i = 0; i < ns; i++)
        for (size_t j = 0; j < s[i].n; j++, q += 4) s[i].p[j] = bio_get_f32(q);
    if (extra && parse_duration(m, q) != 0) {
        seterr(err, errlen, "model duration calibration is invalid");
        bio_model_free(m);
        return NULL;
    }
    memcpy(m->id, buf + BIO_MODEL_CONFIG_OFFSET + BIO_MODEL_CONFIG_LEN + 8, BIO_MODEL_ID_LEN);
    if (bio_model_finish(m, err, errlen) != 0) {
        bio_model_free(m);
        return NULL;
    }
    return m;
}

bio_model *bio_model_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "cannot open model %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 1 << 20;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) break;
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
    }
    int bad = ferror(f) || len == cap;
    fclose(f);
    if (bad) {
        seterr(err, errlen, "cannot read model %s", path);
        free(buf);
        return NULL;
    }
    bio_model *m = bio_model_parse(buf, len, err, errlen);
    free(buf);
    return m;
}
