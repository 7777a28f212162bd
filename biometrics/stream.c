/* stream.c -- one live utterance: front end -> UBM posteriors -> Baum-Welch statistics.
 *
 * The stream keeps only the zeroth/first-order statistics (C + C*D floats), the front end's
 * few KB and up to STREAM_BATCH pending feature frames, all in one allocation: feeding costs
 * a fixed amount per 10 ms frame, and scoring (i-vector + projection + AS-norm) costs a fixed
 * amount whatever the call length. The last embedding is cached until a new speech frame
 * reaches the statistics, so verifying one stream against many voiceprints, enrolling and
 * then verifying, or verifying again after silence, extracts it once.
 *
 * Frames are buffered and turned into statistics 16 at a time (stats_add: one sgemm for
 * the posteriors, one for F): per frame, the UBM matrix read and the C x D rank-1 update of F
 * cost more than the arithmetic, and a batch pays them once. Extraction adds the pending
 * frames to a copy of N/F, so the statistics always grow by the same groups of frames: the
 * result depends only on the sample sequence (not on block sizes nor on when earlier verifies
 * ran) and equals frame-by-frame accumulation up to float rounding. Speech seconds come from
 * the front end and need no flush. The buffer costs 16 x 40 floats (2.5 KB) per stream; the
 * batch scratch is on the stack.
 *
 * bio_stream_embed_batch extracts the embeddings of many streams at once (ivector.h: the
 * ~9 MB of T and P are read once per batch instead of once per stream) and leaves them in
 * each stream's cache, where verify/enrol/identify find them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bio.h"
#include "voiceprint.h"

#define STREAM_BATCH 16        /* frames turned into statistics at once */
#define STREAM_POST_FLOATS 4096 /* stack scratch for their posteriors: >= C (model.c) */
#define STREAM_EMBED_BATCH 16  /* streams embedded together (scratch ~63 KB each) */

struct bio_stream {
    const bio_model *m;
    bio_fe fe;
    float *N;    /* C */
    float *F;    /* C x D */
    float *pend; /* STREAM_BATCH x D feature frames not yet in N/F */
    int npend;
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
    size_t floats = C + C * D + STREAM_BATCH * D + L;
    size_t bytes = sizeof(bio_stream) + floats * sizeof(float);
    bio_stream *s = malloc(bytes);
    if (!s) return NULL;
    s->m = m;
    s->N = (float *)(s + 1);
    s->F = s->N + C;
    s->pend = s->F + C * D;
    s->emb = s->pend + STREAM_BATCH * D;
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
    s->npend = 0;
    s->emb_state = 0;
}

/* N, F += the statistics of T frames X, in passes of as many frames as the stack scratch
 * holds (all STREAM_BATCH of them for C <= 256). */
static void stats_add(const bio_gmm *g, const float *X, size_t T, float *N, float *F)
{
    float post[STREAM_POST_FLOATS], work[STREAM_BATCH * 2 * BIO_FE_DIM];
    size_t per = STREAM_POST_FLOATS / (size_t)g->C, D = (size_t)g->D;
    if (per > STREAM_BATCH) per = STREAM_BATCH;
    for (size_t t = 0; t < T; t += per) {
        size_t k = T - t < per ? T - t : per;
        bio_gmm_posteriors_batch(g, X + t * D, k, post, work);
        bio_gmm_accumulate_batch(g, X + t * D, k, post, N, F);
    }
}

/* A speech frame for the statistics: only these change the embedding, so only these make
 * the cached one stale (a second of silence between two verifications costs no extraction). */
static void stream_frame(void *ctx, const float *x)
{
    bio_stream *s = ctx;
    s->emb_state = 0;
    memcpy(s->pend + (size_t)s->npend * s->m->ubm.D, x, sizeof(float) * (size_t)s->m->ubm.D);
    if (++s->npend < STREAM_BATCH) return;
    stats_add(&s->m->ubm, s->pend, STREAM_BATCH, s->N, s->F);
    s->npend = 0;
}

void bio_stream_feed(bio_stream *s, const int16_t *pcm, size_t n)
{
    bio_fe_feed(&s->fe, s->m->fe, pcm, n, stream_frame, s);
}

double bio_stream_speech_seconds(const bio_stream *s) { return bio_fe_speech_seconds(&s->fe); }

/* Embed k streams of one model whose cache is stale: their statistics side by side (with
 * the pending frames added to the copies, not to the stream, so N/F always grow by the same
 * groups of 16 frames and a score does not depend on when earlier verifies happened), one
 * batched extraction, then each stream's projection and cohort statistics into its cache. */
static bio_status embed_chunk(bio_stream **s, size_t k)
{
    const bio_model *m = s[0]->m;
    size_t C = (size_t)m->ubm.C, CD = C * (size_t)m->ubm.D, R = (size_t)m->iv.R;
    size_t nwork = bio_ivec_batch_work_floats(&m->iv, k), K = (size_t)m->K;
    size_t rows = bio_ivec_batch_rows(k);
    int ok[STREAM_EMBED_BATCH];
    if (k == 0 || k > STREAM_EMBED_BATCH) return BIO_OK; /* callers pass 1..the batch */
    float *N = malloc(sizeof(float) * (rows * (C + CD + R) + (nwork > K ? nwork : K)));
    if (!N) return BIO_ERR_NOMEM;
    float *Fw = N + rows * C, *w = Fw + rows * CD, *work = w + rows * R;
    for (size_t i = 0; i < k; i++) {
        float *Ni = N + i * C, *Fi = Fw + i * CD;
        memcpy(Ni, s[i]->N, sizeof(float) * C);
        memcpy(Fi, s[i]->F, sizeof(float) * CD);
        stats_add(&m->ubm, s[i]->pend, (size_t)s[i]->npend, Ni, Fi);
        bio_ivec_whiten(&m->iv, Ni, Fi, Fi); /* in place: element by element */
    }
    bio_ivec_extract_whitened_batch(&m->iv, k, N, Fw, w, work, ok);
    for (size_t i = 0; i < k; i++) {
        bio_stream *t = s[i];
        int good = ok[i] == 0 && bio_backend_embed(m, w + i * R, t->emb, &t->c) == 0;
        if (good) t->norm = bio_backend_norm(m, t->emb, t->c, work);
        t->emb_state = good ? 1 : -1;
    }
    free(N);
    return BIO_OK;
}

/* i-vector -> embedding -> cohort statistics, cached until the next feed. */
static bio_status stream_embed(bio_stream *s)
{
    if (s->emb_state == 0) {
        bio_status st = embed_chunk(&s, 1);
        if (st != BIO_OK) return st;
    }
    return s->emb_state == 1 ? BIO_OK : BIO_ERR_SPEECH;
}

bio_status bio_stream_embed_batch(bio_stream **s, size_t n)
{
    bio_stream *chunk[STREAM_EMBED_BATCH];
    size_t k = 0;
    bio_status st = BIO_OK;
    for (size_t i = 0; i < n && st == BIO_OK; i++) {
        /* Only stale caches of streams with speech, and one model per chunk. */
        if (!s[i] || s[i]->emb_state != 0 || s[i]->fe.nspeech <= 0) continue;
        if (k && s[i]->m != chunk[0]->m) continue; /* another model: embedded on demand */
        size_t dup = 0;
        while (dup < k && chunk[dup] != s[i]) dup++;
        if (dup < k) continue; /* listed twice */
        chunk[k++] = s[i];
        if (k == STREAM_EMBED_BATCH) {
            st = embed_chunk(chunk, k);
            k = 0;
        }
    }
    if (k && st == BIO_OK) st = embed_chunk(chunk, k);
    return st;
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

/* A threshold moved by `logit` in log-odds; 0 and 100 (nothing / everything) stay put. */
static double shift_threshold(double thr, double logit)
{
    if (!(thr > 0 && thr < 100) || logit == 0) return thr;
    double p = thr / 100;
    return 100 / (1 + exp(-(log(p / (1 - p)) + logit)));
}

void bio_thresholds_for(const bio_config *cfg, double speech_seconds, double *verified,
                        double *not_sure)
{
    double missing = cfg->full_speech - speech_seconds;
    if (missing < 0) missing = 0;
    *verified = shift_threshold(cfg->thr_verified, cfg->short_verified_logit * missing);
    *not_sure = shift_threshold(cfg->thr_not_sure, -cfg->short_not_verified_logit * missing);
}

bio_verdict bio_verdict_for(const bio_config *cfg, double score, double speech_seconds)
{
    if (speech_seconds < cfg->min_verify_speech || speech_seconds <= 0)
        return BIO_INSUFFICIENT_SPEECH;
    double verified, not_sure;
    bio_thresholds_for(cfg, speech_seconds, &verified, &not_sure);
    if (score >= verified) return BIO_VERIFIED;
    if (score >= not_sure) return BIO_NOT_SURE;
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
    out->score = bio_backend_calibrate(s->m, bio_backend_snorm(raw, vp.norm, s->norm),
                                       out->speech_seconds);
    out->verdict = bio_verdict_for(cfg, out->score, out->speech_seconds);
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
