/* test_batch.c -- the engine's batched paths against their one-at-a-time definitions.
 *
 * Feed: a stream buffers frames and turns them into statistics 16 at a time (sgemm); here a
 * reference stream is rebuilt frame by frame with the per-frame functions (one sgemv and one
 * rank-1 update per frame, as the engine did before batching) and its embedding and score
 * must match the stream's up to float rounding, including frames still pending at the verify.
 * Extraction: bio_stream_embed_batch over k streams (chunks of 16, duplicates, NULLs, silent
 * streams) must give each stream the embedding and score a lone verify gives.
 * Tolerances: embeddings are unit-scale vectors, 1e-4 absolute is ~100x the float rounding
 * measured and far below what a lost, doubled or misplaced frame does (checked below).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bio_fixture.h"
#include "engine.h"

static bio_model *m;
static void setup(void) { m = fx_model(); }
static void teardown(void) { bio_model_free(m); }

TestSuite(batch, .init = setup, .fini = teardown, .timeout = 120);

/* ---------- the frame-by-frame reference ---------- */

typedef struct {
    const bio_model *m;
    float *N, *F, post[4096], work[2 * BIO_FE_DIM];
    size_t frames, skip; /* skip: index of a frame to leave out (test of the test) */
} ref_stats;

static void ref_frame(void *ctx, const float *x)
{
    ref_stats *r = ctx;
    if (r->frames++ == r->skip) return;
    bio_gmm_posteriors(&r->m->ubm, x, r->post, r->work);
    bio_gmm_accumulate(&r->m->ubm, x, r->post, r->N, r->F);
}

/* Statistics of pcm[0..n) frame by frame (without frame `skip`), then the single-extraction
 * embedding. Returns the frames seen. */
static size_t ref_embedding_skip(const int16_t *pcm, size_t n, size_t skip, float *emb,
                                 float *c, bio_norm *norm)
{
    size_t C = (size_t)m->ubm.C, D = (size_t)m->ubm.D;
    ref_stats r = {.m = m, .N = calloc(C, sizeof(float)), .F = calloc(C * D, sizeof(float)),
                   .skip = skip};
    bio_fe fe;
    bio_fe_init(&fe, m->fe);
    for (size_t i = 0; i < n; i += 160)
        bio_fe_feed(&fe, m->fe, pcm + i, n - i < 160 ? n - i : 160, ref_frame, &r);
    size_t nwork = bio_ivec_work_floats(&m->iv);
    if (nwork < (size_t)m->K) nwork = (size_t)m->K;
    float *work = malloc(sizeof(float) * (nwork + (size_t)m->iv.R)), *w = work + nwork;
    cr_assert_eq(bio_ivec_extract(&m->iv, r.N, r.F, w, work), 0);
    cr_assert_eq(bio_backend_embed(m, w, emb, c), 0);
    *norm = bio_backend_norm(m, emb, *c, work);
    free(work);
    free(r.N);
    free(r.F);
    return r.frames;
}

static size_t ref_embedding(const int16_t *pcm, size_t n, float *emb, float *c, bio_norm *norm)
{
    return ref_embedding_skip(pcm, n, (size_t)-1, emb, c, norm);
}

static double max_abs_diff(const float *a, const float *b, int n)
{
    double d = 0;
    for (int i = 0; i < n; i++)
        if (fabs((double)a[i] - b[i]) > d) d = fabs((double)a[i] - b[i]);
    return d;
}

/* Cut lengths chosen so that the frames emitted are not all multiples of 16: the verify then
 * sees frames still pending in the stream's buffer. */
Test(batch, buffered_feed_matches_frame_by_frame)
{
    fx_audio t = fx_speech(SPK_C, "test");
    size_t cuts[] = {t.n, t.n * 2 / 3 + 1234, t.n / 2 + 777};
    int pending_seen = 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        float ref[1024], c;
        bio_norm norm;
        size_t frames = ref_embedding(t.pcm, cuts[i], ref, &c, &norm);
        pending_seen += frames % 16 != 0;
        bio_stream *s = bio_stream_new(m);
        for (size_t k = 0; k < cuts[i]; k += 160)
            bio_stream_feed(s, t.pcm + k, cuts[i] - k < 160 ? cuts[i] - k : 160);
        const float *emb;
        float sc;
        bio_norm sn;
        cr_assert_eq(bio_stream_embedding(s, &emb, &sc, &sn), BIO_OK);
        double d = max_abs_diff(emb, ref, m->L);
        cr_log_info("cut %zu: %zu frames, embedding max difference %g", i, frames, d);
        cr_expect_lt(d, 1e-4, "cut %zu (%zu frames): embedding differs by %g", i, frames, d);
        cr_expect_float_eq(sc, c, 1e-4);
        cr_expect_float_eq(sn.mu, norm.mu, 1e-4);
        cr_expect_float_eq(sn.sd, norm.sd, 1e-4);
        bio_stream_free(s);
    }
    cr_expect_gt(pending_seen, 0, "some cut leaves frames pending");
    fx_free(&t);
}

/* The comparison above can fail: one frame lost (the last, or one in the middle) moves the
 * embedding far beyond its tolerance. */
Test(batch, tolerance_detects_one_lost_frame)
{
    fx_audio t = fx_speech(SPK_C, "test");
    float a[1024], b[1024], c;
    bio_norm norm;
    size_t frames = ref_embedding(t.pcm, t.n, a, &c, &norm);
    size_t lost[] = {frames - 1, frames / 2};
    for (int i = 0; i < 2; i++) {
        ref_embedding_skip(t.pcm, t.n, lost[i], b, &c, &norm);
        double d = max_abs_diff(a, b, m->L);
        cr_log_info("frame %zu of %zu lost: embedding max difference %g", lost[i], frames, d);
        cr_expect_gt(d, 1e-3, "frame %zu of %zu lost: embedding moved by only %g", lost[i],
                     frames, d);
    }
    fx_free(&t);
}

/* ---------- batched extraction ---------- */

enum { NS = 21 }; /* more than one chunk of 16 */

static const char *const speakers[3] = {SPK_A, SPK_B, SPK_C};

/* Stream i: speaker i % 3's test audio from an offset, a length that differs per stream. */
static void feed_nth(bio_stream *s, const fx_audio *audio, int i)
{
    const fx_audio *a = &audio[i % 3];
    size_t off = (size_t)(i / 3) * 4000, len = a->n / 2 + (size_t)i * 997;
    if (off + len > a->n) len = a->n - off;
    for (size_t k = 0; k < len; k += 160)
        bio_stream_feed(s, a->pcm + off + k, len - k < 160 ? len - k : 160);
}

Test(batch, embed_batch_equals_one_at_a_time)
{
    fx_audio audio[3];
    for (int i = 0; i < 3; i++) audio[i] = fx_speech(speakers[i], "test");
    uint8_t vp[BIO_VOICEPRINT_MAX];
    size_t vplen = fx_enroll(m, SPK_A, vp);
    bio_config cfg = bio_model_default_config(m);
    cfg.min_verify_speech = 1;
    bio_stream *batch[NS], *single[NS];
    for (int i = 0; i < NS; i++) {
        batch[i] = bio_stream_new(m);
        single[i] = bio_stream_new(m);
        feed_nth(batch[i], audio, i);
        feed_nth(single[i], audio, i);
    }
    /* NULLs, a duplicate and a stream without speech are tolerated. */
    bio_stream *silent = bio_stream_new(m);
    int16_t zeros[1600] = {0};
    bio_stream_feed(silent, zeros, 1600);
    bio_stream *list[NS + 3];
    memcpy(list, batch, sizeof batch);
    list[NS] = NULL;
    list[NS + 1] = batch[3];
    list[NS + 2] = silent;
    cr_assert_eq(bio_stream_embed_batch(list, NS + 3), BIO_OK);
    int accepted = 0;
    for (int i = 0; i < NS; i++) {
        bio_result rb, rs;
        cr_assert_eq(bio_stream_verify(batch[i], &cfg, vp, vplen, &rb), BIO_OK);
        cr_assert_eq(bio_stream_verify(single[i], &cfg, vp, vplen, &rs), BIO_OK);
        cr_expect_float_eq(rb.score, rs.score, 1e-3, "stream %d: batched %.5f, alone %.5f", i,
                           rb.score, rs.score);
        cr_expect_eq(rb.speech_seconds, rs.speech_seconds);
        const float *eb, *es;
        float cb, cs;
        bio_norm nb, ns;
        bio_stream_embedding(batch[i], &eb, &cb, &nb);
        bio_stream_embedding(single[i], &es, &cs, &ns);
        cr_expect_lt(max_abs_diff(eb, es, m->L), 1e-4, "stream %d", i);
        accepted += rb.verdict == BIO_VERIFIED;
    }
    /* Speaker A's streams against A's voiceprint, the others not: the batch kept them apart. */
    cr_expect_eq(accepted, (NS + 2) / 3, "%d of %d verified", accepted, NS);
    bio_result r;
    cr_assert_eq(bio_stream_verify(silent, &cfg, vp, vplen, &r), BIO_OK);
    cr_expect_eq(r.verdict, BIO_INSUFFICIENT_SPEECH);
    /* More audio after the batch: the cached embedding is dropped, not reused. */
    bio_result before;
    bio_stream_verify(batch[0], &cfg, vp, vplen, &before);
    feed_nth(batch[0], audio, 1);
    feed_nth(single[0], audio, 1);
    bio_stream *again[1] = {batch[0]};
    cr_assert_eq(bio_stream_embed_batch(again, 1), BIO_OK);
    bio_result rb, rs;
    bio_stream_verify(batch[0], &cfg, vp, vplen, &rb);
    bio_stream_verify(single[0], &cfg, vp, vplen, &rs);
    cr_expect_float_eq(rb.score, rs.score, 1e-3);
    cr_expect_gt(fabs(rb.score - before.score), 1e-3, "new audio changed the score");
    for (int i = 0; i < NS; i++) {
        bio_stream_free(batch[i]);
        bio_stream_free(single[i]);
    }
    bio_stream_free(silent);
    for (int i = 0; i < 3; i++) fx_free(&audio[i]);
}

Test(batch, enrolment_after_embed_batch_is_the_same_voiceprint_score)
{
    fx_audio a = fx_speech(SPK_B, "enroll"), t = fx_speech(SPK_B, "test");
    bio_config cfg = bio_model_default_config(m);
    bio_stream *e1 = bio_stream_new(m), *e2 = bio_stream_new(m), *probe = bio_stream_new(m);
    fx_feed(e1, &a, 160);
    fx_feed(e2, &a, 160);
    fx_feed(probe, &t, 160);
    bio_stream *list[2] = {e1, probe};
    cr_assert_eq(bio_stream_embed_batch(list, 2), BIO_OK);
    uint8_t v1[BIO_VOICEPRINT_MAX], v2[BIO_VOICEPRINT_MAX];
    size_t l1, l2;
    cr_assert_eq(bio_stream_enroll(e1, &cfg, v1, sizeof v1, &l1), BIO_OK);
    cr_assert_eq(bio_stream_enroll(e2, &cfg, v2, sizeof v2, &l2), BIO_OK);
    bio_result r1, r2;
    bio_stream_verify(probe, &cfg, v1, l1, &r1);
    bio_stream_verify(probe, &cfg, v2, l2, &r2);
    cr_expect_float_eq(r1.score, r2.score, 1e-3);
    cr_expect_eq(r1.verdict, BIO_VERIFIED, "score %.2f", r1.score);
    bio_stream_free(e1);
    bio_stream_free(e2);
    bio_stream_free(probe);
    fx_free(&a);
    fx_free(&t);
}

/* The cached embedding outlives audio that adds no speech frame (a verify after a silent
 * second costs no extraction) and not one that does. */
Test(batch, cache_kept_through_silence_dropped_by_speech)
{
    fx_audio t = fx_speech(SPK_A, "test");
    uint8_t vp[BIO_VOICEPRINT_MAX];
    size_t vplen = fx_enroll(m, SPK_A, vp);
    bio_config cfg = bio_model_default_config(m);
    bio_stream *s = bio_stream_new(m);
    size_t half = t.n / 2;
    for (size_t k = 0; k < half; k += 160)
        bio_stream_feed(s, t.pcm + k, half - k < 160 ? half - k : 160);
    /* the frames straddling the cut still hold speech (and may continue it, vad.h): let them
     * pass before the first verification */
    int16_t zeros[160] = {0};
    for (int b = 0; b < 3; b++)
        bio_stream_feed(s, zeros, 160);
    bio_result r1, r2, r3;
    cr_assert_eq(bio_stream_verify(s, &cfg, vp, vplen, &r1), BIO_OK);
    const float *e1;
    float c;
    bio_norm norm;
    bio_stream_embedding(s, &e1, &c, &norm);
    float before[1024];
    memcpy(before, e1, sizeof(float) * (size_t)m->L);
    for (int b = 0; b < 50; b++)
        bio_stream_feed(s, zeros, 160);
    cr_assert_eq(bio_stream_verify(s, &cfg, vp, vplen, &r2), BIO_OK);
    cr_expect_eq(r2.score, r1.score);
    cr_expect_eq(r2.speech_seconds, r1.speech_seconds, "silence is not speech");
    for (size_t k = half; k < t.n; k += 160)
        bio_stream_feed(s, t.pcm + k, t.n - k < 160 ? t.n - k : 160);
    cr_assert_eq(bio_stream_verify(s, &cfg, vp, vplen, &r3), BIO_OK);
    const float *e3;
    bio_stream_embedding(s, &e3, &c, &norm);
    cr_expect_gt(max_abs_diff(before, e3, m->L), 1e-3, "new speech re-extracted the embedding");
    cr_expect_neq(r3.score, r1.score);
    bio_stream_free(s);
    fx_free(&t);
}

Test(batch, engine_table_offers_embed_batch)
{
    const bio_engine *e = bio_engine_find(NULL);
    cr_assert_not_null(e->embed_batch);
    bio_stream *s = bio_stream_new(m);
    fx_audio t = fx_speech(SPK_A, "test");
    fx_feed(s, &t, 160);
    void *list[1] = {s};
    cr_expect_eq(e->embed_batch(list, 1), BIO_OK);
    const float *emb;
    float c;
    bio_norm norm;
    cr_expect_eq(bio_stream_embedding(s, &emb, &c, &norm), BIO_OK);
    bio_stream_free(s);
    fx_free(&t);
}
