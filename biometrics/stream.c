/* stream.c -- one live utterance: front end -> UBM posteriors -> Baum-Welch statistics.
 *
 * The stream keeps only the zeroth/first-order statistics (C + C*D floats), the front end's
 * few KB and a small scratch, all in one allocation: feeding costs a fixed amount per 10 ms
 * frame, and scoring (i-vector + projection + AS-norm) costs a fixed amount whatever the
 * call length. The last embedding is cached until more audio arrives, so verifying one
 * stream against many voiceprints, or enrolling and then verifying, extracts it once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bio.h"
#include "voiceprint.h"

struct bio_stream {
    const bio_model *m;
    bio_fe fe;
    float *N;    /* C */
    float *F;    /* C x D */
    float *post; /* C, scratch */
    float *work; /* 2D, scratch */
    float *emb;  /* L, cached embedding */
    float c;     /* its self-term */
    bio_norm norm;
    int emb_state; /* 0 stale, 1 valid, -1 extraction failed */
    size_t bytes;
};

const char *bio_strerror(bio_status st)
{
    switch (st) {
    case BIO_OK: return "ok";
    case BIO_ERR_IO: return "model file unreadable";
    case BIO_ERR_FORMAT: return "corrupt or truncated data";
    case BIO_ERR_MODEL: return "voiceprint was made by another model";
    case BIO_ERR_VERSION: return "unsupported format version";
    case BIO_ERR_SPEECH: return "not enough net speech";
    case BIO_ERR_SPACE: return "output buffer too small";
    case BIO_ERR_NOMEM: return "out of memory";
    }
    return "unknown error";
}

const char *bio_verdict_name(bio_verdict v)
{
    switch (v) {
    case BIO_INSUFFICIENT_SPEECH: return "insufficient_speech";
    case BIO_NOT_VERIFIED: return "not_verified";
    case BIO_NOT_SURE: return "not_sure";
    case BIO_VERIFIED: return "verified";
    }
    return "unknown";
}

bio_stream *bio_stream_new(const bio_model *m)
{
    size_t C = m->ubm.C, D = m->ubm.D, L = m->L;
    size_t floats = C + C * D + C + 2 * D + L;
    size_t bytes = sizeof(bio_stream) + floats * sizeof(float);
    bio_stream *s = malloc(bytes);
    if (!s) return NULL;
    s->m = m;
    s->N = (float *)(s + 1);
    s->F = s->N + C;
    s->post = s->F + C * D;
    s->work = s->post + C;
    s->emb = s->work + 2 * D;
    s->bytes = bytes;
    bio_stream_reset(s);
    return s;
}

void bio_stream_free(bio_stream *s) { free(s); }

size_t bio_stream_memory(const bio_stream *s) { return s->bytes; }

void bio_stream_reset(bio_stream *s)
{
    size_t C = s->m->ubm.C, D = s->m->ubm.D;
    bio_fe_init(&s->fe, s->m->fe);
    memset(s->N, 0, sizeof(float) * (C + C * D));
    s->emb_state = 0;
}

static void stream_frame(void *ctx, const float *x)
{
    bio_stream *s = ctx;
    bio_gmm_posteriors(&s->m->ubm, x, s->post, s->work);
    bio_gmm_accumulate(&s->m->ubm, x, s->post, s->N, s->F);
}

void bio_stream_feed(bio_stream *s, const int16_t *pcm, size_t n)
{
    if (n == 0) return;
    bio_fe_feed(&s->fe, s->m->fe, pcm, n, stream_frame, s);
    s->emb_state = 0;
}

double bio_stream_speech_seconds(const bio_stream *s) { return bio_fe_speech_seconds(&s->fe); }

/* i-vector -> embedding -> cohort statistics, cached until the next feed. */
static bio_status stream_embed(bio_stream *s)
{
    if (s->emb_state == 1) return BIO_OK;
    if (s->emb_state == -1) return BIO_ERR_SPEECH;
    const bio_model *m = s->m;
    size_t nwork = bio_ivec_work_floats(&m->iv);
    if ((size_t)m->K > nwork) nwork = (size_t)m->K;
    float *work = malloc(sizeof(float) * (nwork + (size_t)m->iv.R));
    if (!work) return BIO_ERR_NOMEM;
    float *w = work + nwork;
    int ok = bio_ivec_extract(&m->iv, s->N, s->F, w, work) == 0 &&
             bio_backend_embed(m, w, s->emb, &s->c) == 0;
    if (ok) s->norm = bio_backend_norm(m, s->emb, s->c, work);
    free(work);
    s->emb_state = ok ? 1 : -1;
    return ok ? BIO_OK : BIO_ERR_SPEECH;
}

bio_status bio_stream_enroll(bio_stream *s, const bio_config *cfg, uint8_t *blob, size_t cap,
                             size_t *len)
{
    double speech = bio_stream_speech_seconds(s);
    if (speech < cfg->min_enroll_speech || speech <= 0) return BIO_ERR_SPEECH;
    bio_status st = stream_embed(s);
    if (st != BIO_OK) return st;
    bio_vp vp = {.speech_seconds = speech, .norm = s->norm, .c = s->c, .dim = s->m->L};
    memcpy(vp.emb, s->emb, sizeof(float) * (size_t)s->m->L);
    return bio_vp_encode(s->m, &vp, blob, cap, len);
}

static bio_verdict verdict_of(const bio_config *cfg, double score)
{
    if (score >= cfg->thr_verified) return BIO_VERIFIED;
    if (score >= cfg->thr_not_sure) return BIO_NOT_SURE;
    return BIO_NOT_VERIFIED;
}

bio_status bio_stream_verify(bio_stream *s, const bio_config *cfg, const uint8_t *blob, size_t len,
                             bio_result *out)
{
    bio_vp vp;
    bio_status st = bio_vp_decode(s->m, blob, len, &vp);
    if (st != BIO_OK) return st;
    out->speech_seconds = bio_stream_speech_seconds(s);
    out->score = 0;
    out->verdict = BIO_INSUFFICIENT_SPEECH;
    if (out->speech_seconds < cfg->min_verify_speech || out->speech_seconds <= 0) return BIO_OK;
    st = stream_embed(s);
    if (st == BIO_ERR_SPEECH) return BIO_OK;
    if (st != BIO_OK) return st;
    double raw = bio_backend_raw(s->m, vp.emb, vp.c, s->emb, s->c);
    out->score = bio_backend_calibrate(s->m, bio_backend_snorm(raw, vp.norm, s->norm));
    out->verdict = verdict_of(cfg, out->score);
    return BIO_OK;
}

bio_status bio_voiceprint_check(const bio_model *m, const uint8_t *blob, size_t len,
                                double *speech_seconds)
{
    bio_vp vp;
    bio_status st = bio_vp_decode(m, blob, len, &vp);
    if (st == BIO_OK && speech_seconds) *speech_seconds = vp.speech_seconds;
    return st;
}

/* For gallery.c: the stream's embedding and its cohort statistics. */
bio_status bio_stream_embedding(bio_stream *s, const float **emb, float *c, bio_norm *norm)
{
    bio_status st = stream_embed(s);
    if (st != BIO_OK) return st;
    *emb = s->emb;
    *c = s->c;
    *norm = s->norm;
    return BIO_OK;
}
