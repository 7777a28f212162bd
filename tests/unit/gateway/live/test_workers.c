/* Worker pool: hand-over mechanics with a controllable test engine (a gate that holds a
 * worker inside feed, an order-sensitive checksum of the samples), and the real engine with
 * the shipped model on real speech when the model file exists. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/workers.h"

#define WK_TEST_BATCH_MAX 16 /* workers.c's WK_BATCH */

/* ---------- test engine ---------- */

typedef struct {
    uint64_t hash;    /* FNV over the samples in the order fed: detects reordering */
    uint64_t samples;
} test_stream;

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;
static atomic_int in_feed, live_streams;

static void gate_set(bool closed)
{
    pthread_mutex_lock(&gate_lock);
    gate_closed = closed;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void *t_new(const void *model)
{
    (void)model;
    test_stream *s = calloc(1, sizeof *s);
    s->hash = 1469598103934665603ull;
    atomic_fetch_add(&live_streams, 1);
    return s;
}
static void t_free(void *s)
{
    atomic_fetch_sub(&live_streams, 1);
    free(s);
}
static void t_feed(void *st, const int16_t *pcm, size_t n)
{
    test_stream *s = st;
    atomic_fetch_add(&in_feed, 1);
    pthread_mutex_lock(&gate_lock);
    while (gate_closed)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ (uint16_t)pcm[i]) * 1099511628211ull;
    s->samples += n;
}
static double t_speech(const void *st) { return (double)((const test_stream *)st)->samples / 8000.0; }
static bio_status t_enroll(void *st, const bio_config *cfg, uint8_t *blob, size_t cap, size_t *len)
{
    test_stream *s = st;
    if (t_speech(s) < cfg->min_enroll_speech)
        return BIO_ERR_SPEECH;
    if (cap < sizeof s->hash)
        return BIO_ERR_SPACE;
    memcpy(blob, &s->hash, sizeof s->hash);
    *len = sizeof s->hash;
    return BIO_OK;
}
static bio_status t_verify(void *st, const bio_config *cfg, const uint8_t *blob, size_t len,
                           bio_result *out)
{
    (void)cfg;
    test_stream *s = st;
    out->speech_seconds = t_speech(s);
    out->score = len == sizeof s->hash && memcmp(blob, &s->hash, len) == 0 ? 100 : 0;
    out->verdict = out->score > 50 ? BIO_VERIFIED : BIO_NOT_VERIFIED;
    return BIO_OK;
}
static const bio_engine test_engine = {
    .name = "test",
    .stream_new = t_new,
    .stream_free = t_free,
    .feed = t_feed,
    .speech_seconds = t_speech,
    .enroll = t_enroll,
    .verify = t_verify,
};

/* The same engine with embed_batch: records each call's streams (by their sample counts,
 * which the tests make distinct) so a test can see what was batched. */
#define MAXBATCH 32
static uint64_t batch_calls[MAXBATCH][WK_TEST_BATCH_MAX];
static size_t batch_sizes[MAXBATCH];
static atomic_int nbatch;
static bio_status t_embed_batch(void **st, size_t n)
{
    int b = atomic_load(&nbatch);
    cr_assert_lt(b, MAXBATCH);
    cr_assert_leq(n, WK_TEST_BATCH_MAX);
    for (size_t i = 0; i < n; i++)
        batch_calls[b][i] = ((test_stream *)st[i])->samples;
    batch_sizes[b] = n;
    atomic_store(&nbatch, b + 1);
    return BIO_OK;
}
static bio_engine batch_engine; /* test_engine + t_embed_batch, set up by reset() */

/* ---------- results ---------- */

#define MAXRES 512
typedef struct {
    workers_result r;
    uint64_t blob;
    char ext[64];
} got_result;
static got_result got[MAXRES];
static int ngot;
static uint8_t last_print[BIO_VOICEPRINT_MAX]; /* voiceprint of the latest enrol result */
static size_t last_print_len;

static void on_result(const workers_result *r, void *arg)
{
    (void)arg;
    cr_assert_lt(ngot, MAXRES);
    got[ngot].r = *r;
    got[ngot].r.voiceprint = NULL;
    got[ngot].blob = 0;
    if (r->voiceprint && r->voiceprint_len == 8)
        memcpy(&got[ngot].blob, r->voiceprint, 8);
    if (r->voiceprint && r->voiceprint_len <= sizeof last_print) {
        memcpy(last_print, r->voiceprint, r->voiceprint_len);
        last_print_len = r->voiceprint_len;
    }
    snprintf(got[ngot].ext, sizeof got[ngot].ext, "%s", r->external_id);
    ngot++;
}

static void run_until_results(uv_loop_t *loop, int n, int timeout_ms)
{
    for (int t = 0; t < timeout_ms && ngot < n; t++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

static bool closed;
static void on_closed(void *arg)
{
    (void)arg;
    closed = true;
}

static void finish(uv_loop_t *loop, workers *w)
{
    closed = false;
    workers_close(w, on_closed, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_expect(closed);
    cr_expect_eq(uv_loop_close(loop), 0);
}

static void reset(void)
{
    ngot = 0;
    gate_set(false);
    atomic_store(&in_feed, 0);
    atomic_store(&live_streams, 0);
    atomic_store(&nbatch, 0);
    batch_engine = test_engine;
    batch_engine.name = "test-batch";
    batch_engine.embed_batch = t_embed_batch;
}

TestSuite(workers, .init = reset, .timeout = 60);

static const bio_config cfg1s = {.min_enroll_speech = 1.0, .min_verify_speech = 0.5};

Test(workers, full_queue_drops_audio_without_blocking)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 1, .queue_len = 8,
                                                      .reserve = 2, .engine = &test_engine,
                                                      .config = cfg1s, .on_result = on_result});
    cr_assert_not_null(w);
    int16_t block[160] = {0};
    gate_set(true);
    uint64_t id = workers_open(w);
    cr_assert_neq(id, 0);
    cr_assert_eq(workers_audio(w, id, block, 160), 0);
    while (atomic_load(&in_feed) == 0) { /* the worker is now held inside feed */
        uv_run(&loop, UV_RUN_NOWAIT);    /* the loop's timer wakes it for audio */
        usleep(1000);
    }
    int accepted = 0, dropped = 0;
    uint64_t t0 = uv_hrtime();
    for (int i = 0; i < 1000; i++)
        if (workers_audio(w, id, block, 160) == 0)
            accepted++;
        else
            dropped++;
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    /* depth counts jobs not finished, the block inside feed included: 7 more fit */
    cr_expect_eq(accepted, 7);
    cr_expect_eq(dropped, 993);
    cr_expect(ms < 200, "1000 pushes against a stuck worker took %.1f ms", ms);
    workers_stats st;
    workers_get_stats(w, 0, &st);
    cr_expect_eq(st.dropped, 993);
    cr_expect_eq(st.depth, 8);
    cr_expect_eq(st.max_depth, 8);
    /* Requests still get in through the reserve; beyond it they are refused and counted. */
    const bio_config low = {.min_enroll_speech = 0.1}; /* per-request config */
    cr_expect_eq(workers_enroll(w, id, 1, "cust-1", &low), 0);
    cr_expect_eq(workers_verify(w, id, 2, "cust-1", (const uint8_t *)"12345678", 8, NULL), 0);
    cr_expect_eq(workers_enroll(w, id, 3, "cust-1", NULL), -1);
    workers_get_stats(w, 0, &st);
    cr_expect_eq(st.refused, 1);
    gate_set(false);
    run_until_results(&loop, 2, 5000);
    cr_assert_eq(ngot, 2);
    cr_expect_eq(got[0].r.tag, 1);
    cr_expect_eq(got[0].r.kind, WORKERS_ENROLL);
    cr_expect_eq(got[0].r.status, BIO_OK);
    cr_expect_float_eq(got[0].r.speech_seconds, 8 * 160 / 8000.0, 1e-9, "8 blocks were fed");
    cr_expect_str_eq(got[0].ext, "cust-1");
    cr_expect_eq(got[1].r.kind, WORKERS_VERIFY);
    cr_expect_eq(got[1].r.verify.verdict, BIO_NOT_VERIFIED);
    workers_close_stream(w, id);
    finish(&loop, w);
    cr_expect_eq(atomic_load(&live_streams), 0);
}

/* 300 streams over 4 workers, interleaved blocks: every stream's samples arrive complete and
 * in order (checksum), enrol works per stream, and verify against the stream's own print
 * says verified while another stream's print does not. */
Test(workers, many_streams_in_order_across_workers)
{
    enum { NS = 300, NB = 60 };
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 4, .queue_len = 100000,
                                                      .engine = &test_engine, .config = cfg1s,
                                                      .on_result = on_result});
    cr_assert_not_null(w);
    static uint64_t ids[NS], want[NS];
    int16_t block[160];
    for (int s = 0; s < NS; s++) {
        ids[s] = workers_open(w);
        want[s] = 1469598103934665603ull;
    }
    for (int b = 0; b < NB; b++)
        for (int s = 0; s < NS; s++) {
            for (int i = 0; i < 160; i++) {
                block[i] = (int16_t)(s * 131 + b * 7 + i);
                want[s] = (want[s] ^ (uint16_t)block[i]) * 1099511628211ull;
            }
            cr_assert_eq(workers_audio(w, ids[s], block, 160), 0);
        }
    char ext[32];
    for (int s = 0; s < NS; s++) {
        snprintf(ext, sizeof ext, "ext-%d", s);
        cr_assert_eq(workers_enroll(w, ids[s], (uint64_t)s, ext, NULL), 0);
    }
    run_until_results(&loop, NS, 20000);
    cr_assert_eq(ngot, NS);
    int busy_workers = 0;
    for (int i = 0; i < workers_count(w); i++) {
        workers_stats st;
        workers_get_stats(w, i, &st);
        busy_workers += st.streams > 0;
    }
    cr_expect_eq(busy_workers, 4, "streams spread over every worker");
    int in_order = 0;
    for (int i = 0; i < ngot; i++) {
        int s = (int)got[i].r.tag;
        snprintf(ext, sizeof ext, "ext-%d", s);
        in_order += got[i].r.status == BIO_OK && got[i].blob == want[s] &&
                    got[i].r.stream_id == ids[s] && strcmp(got[i].ext, ext) == 0 &&
                    got[i].r.speech_seconds == NB * 160 / 8000.0;
    }
    cr_expect_eq(in_order, NS);
    ngot = 0;
    cr_assert_eq(workers_verify(w, ids[0], 1, "a", (const uint8_t *)&want[0], 8, NULL), 0);
    cr_assert_eq(workers_verify(w, ids[0], 2, "b", (const uint8_t *)&want[1], 8, NULL), 0);
    run_until_results(&loop, 2, 5000);
    cr_assert_eq(ngot, 2);
    cr_expect_eq(got[0].r.verify.verdict, BIO_VERIFIED);
    cr_expect_eq(got[1].r.verify.verdict, BIO_NOT_VERIFIED);
    for (int s = 0; s < NS; s++)
        workers_close_stream(w, ids[s]);
    for (int t = 0; t < 5000 && atomic_load(&live_streams) > 0; t++)
        usleep(1000);
    cr_expect_eq(atomic_load(&live_streams), 0, "close released every engine stream");
    finish(&loop, w);
}

Test(workers, requests_on_unknown_or_closed_streams)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 2, .engine = &test_engine,
                                                      .config = cfg1s, .on_result = on_result});
    uint64_t id = workers_open(w);
    int16_t block[80] = {0};
    cr_assert_eq(workers_audio(w, id, block, 80), 0);
    cr_assert_eq(workers_enroll(w, id, 7, "short", NULL), 0);
    workers_close_stream(w, id);
    cr_assert_eq(workers_enroll(w, id, 8, "gone", NULL), 0);
    cr_expect_eq(workers_audio(w, 0, block, 80), -1);
    cr_expect_eq(workers_enroll(w, id, 9, NULL, NULL), -1);
    char longid[1100]; /* the bound is 1024 bytes: 256 characters of up to 4 UTF-8 bytes */
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    cr_expect_eq(workers_enroll(w, id, 9, longid, NULL), -1, "external_id over 1024 bytes");
    cr_expect_eq(workers_verify(w, id, 9, "x", NULL, 0, NULL), -1);
    run_until_results(&loop, 2, 5000);
    cr_assert_eq(ngot, 2);
    cr_expect_eq(got[0].r.status, BIO_ERR_SPEECH, "0.01 s of audio is not enough");
    cr_expect(!got[0].r.unknown_stream);
    cr_expect(got[1].r.unknown_stream);
    finish(&loop, w);
}

Test(workers, close_with_live_streams_and_queued_jobs_frees_everything)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.engine = &test_engine, .config = cfg1s,
                                                      .on_result = on_result});
    cr_assert_gt(workers_count(w), 0);
    int16_t block[160] = {0};
    for (int s = 0; s < 20; s++) {
        uint64_t id = workers_open(w);
        for (int b = 0; b < 20; b++)
            workers_audio(w, id, block, 160);
        workers_enroll(w, id, 0, "e", NULL);
    }
    finish(&loop, w); /* ASan/LSan: no leak of jobs, streams or results */
    cr_expect_eq(atomic_load(&live_streams), 0);
}

/* FNV of n samples of value v appended to h (the test engine's checksum). */
static uint64_t hash_more(uint64_t h, int16_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint16_t)v) * 1099511628211ull;
    return h;
}

/* Let the (single) worker finish what it has, then hold it inside a feed of stream `hold`.
 * The loop runs meanwhile: it is what wakes a sleeping worker for audio (WK_WAKE_MS). */
static void hold_worker(uv_loop_t *loop, workers *w, uint64_t hold)
{
    workers_stats st;
    do {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
        workers_get_stats(w, 0, &st);
    } while (st.depth > 0);
    int entered = atomic_load(&in_feed);
    gate_set(true);
    int16_t block[160] = {0};
    cr_assert_eq(workers_audio(w, hold, block, 160), 0);
    while (atomic_load(&in_feed) == entered) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

static const got_result *result_tagged(uint64_t tag)
{
    for (int i = 0; i < ngot; i++)
        if (got[i].r.tag == tag)
            return &got[i];
    return NULL;
}

/* A worker held in feed while a whole job list piles up, then taking it at once: verifies of
 * several streams run as one embed_batch, but each answers on the audio queued before it
 * (a verify followed by more audio of its stream, or by its close, is not moved past them),
 * results come back with their tags in order, and streams without enough speech are left out
 * of the batch. Stream s has 4000 + 160 s samples, so the batch log names them. */
Test(workers, batched_requests_keep_per_stream_order)
{
    enum { NS = 5 };
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 1, .queue_len = 100000,
                                                      .engine = &batch_engine, .config = cfg1s,
                                                      .on_result = on_result});
    cr_assert_not_null(w);
    uint64_t ids[NS], hold = workers_open(w), hash[NS];
    int16_t block[160];
    for (int s = 0; s < NS; s++) {
        ids[s] = workers_open(w);
        hash[s] = 1469598103934665603ull;
        size_t n = 4000 + 160 * (size_t)s;
        for (size_t off = 0; off < n; off += 160) {
            for (int i = 0; i < 160; i++)
                block[i] = (int16_t)(s + 1);
            cr_assert_eq(workers_audio(w, ids[s], block, 160), 0);
            hash[s] = hash_more(hash[s], (int16_t)(s + 1), 160);
        }
    }
    uint64_t short_id = workers_open(w); /* 0.1 s: under min_verify_speech, not batched */
    for (int i = 0; i < 160; i++)
        block[i] = 9;
    for (int b = 0; b < 5; b++)
        workers_audio(w, short_id, block, 160);
    hold_worker(&loop, w, hold); /* the list queued next is taken in one go */
    const uint8_t *vp[NS];
    for (int s = 0; s < NS; s++)
        vp[s] = (const uint8_t *)&hash[s];
    /* tags: 10 + s for the first round, 20 + s after stream 0 got more audio */
    for (int s = 0; s < NS; s++)
        cr_assert_eq(workers_verify(w, ids[s], 10 + (uint64_t)s, "x", vp[s], 8, NULL), 0);
    cr_assert_eq(workers_verify(w, short_id, 30, "short", vp[0], 8, NULL), 0);
    for (int i = 0; i < 160; i++)
        block[i] = 7;
    cr_assert_eq(workers_audio(w, ids[0], block, 160), 0); /* after its verify */
    uint64_t h0b = hash_more(hash[0], 7, 160);
    cr_assert_eq(workers_verify(w, ids[0], 20, "x", (const uint8_t *)&h0b, 8, NULL), 0);
    cr_assert_eq(workers_verify(w, ids[1], 21, "x", vp[1], 8, NULL), 0);
    workers_close_stream(w, ids[1]);
    cr_assert_eq(workers_verify(w, ids[1], 22, "x", vp[1], 8, NULL), 0); /* after close */
    gate_set(false);
    run_until_results(&loop, NS + 4, 5000);
    cr_assert_eq(ngot, NS + 4);
    /* every request answered on the audio queued before it */
    for (int s = 0; s < NS; s++) {
        const got_result *g = result_tagged(10 + (uint64_t)s);
        cr_assert_not_null(g);
        cr_expect_eq(g->r.stream_id, ids[s]);
        cr_expect_eq(g->r.verify.verdict, BIO_VERIFIED, "stream %d verify saw later audio", s);
    }
    cr_expect_eq(result_tagged(20)->r.verify.verdict, BIO_VERIFIED, "saw the block after");
    cr_expect_eq(result_tagged(21)->r.verify.verdict, BIO_VERIFIED);
    cr_expect(!result_tagged(21)->r.unknown_stream, "verify before close ran before it");
    cr_expect(result_tagged(22)->r.unknown_stream, "verify after close");
    cr_expect_eq(result_tagged(30)->r.verify.verdict, BIO_NOT_VERIFIED);
    /* results in request order */
    const uint64_t order[] = {10, 11, 12, 13, 14, 30, 20, 21, 22};
    for (int i = 0; i < ngot; i++)
        cr_expect_eq(got[i].r.tag, order[i], "result %d has tag %lu", i,
                     (unsigned long)got[i].r.tag);
    /* batches: the first round (5 streams, not the short one) ran together before stream 0's
     * new block; then stream 0 again with stream 1, before stream 1's close. */
    cr_assert_eq(atomic_load(&nbatch), 2);
    cr_expect_eq(batch_sizes[0], NS);
    for (int s = 0; s < NS; s++)
        cr_expect_eq(batch_calls[0][s], 4000 + 160 * (uint64_t)s);
    cr_expect_eq(batch_sizes[1], 2);
    cr_expect_eq(batch_calls[1][0], 4000 + 160);
    cr_expect_eq(batch_calls[1][1], 4000 + 160);
    for (int s = 0; s < NS; s++)
        workers_close_stream(w, ids[s]);
    workers_close_stream(w, short_id);
    workers_close_stream(w, hold);
    finish(&loop, w);
    cr_expect_eq(atomic_load(&live_streams), 0);
}

/* More requests than one batch holds: every one answered, in order, in batches of at most
 * WK_BATCH. */
Test(workers, batch_splits_beyond_its_size)
{
    enum { NS = 40 };
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 1, .queue_len = 100000,
                                                      .engine = &batch_engine, .config = cfg1s,
                                                      .on_result = on_result});
    uint64_t ids[NS], hold = workers_open(w);
    int16_t block[160] = {0};
    for (int s = 0; s < NS; s++) {
        ids[s] = workers_open(w);
        for (int b = 0; b < 30; b++)
            workers_audio(w, ids[s], block, 160);
    }
    hold_worker(&loop, w, hold);
    for (int s = 0; s < NS; s++)
        cr_assert_eq(workers_verify(w, ids[s], (uint64_t)s, "x", (const uint8_t *)"12345678", 8,
                                    NULL), 0);
    gate_set(false);
    run_until_results(&loop, NS, 5000);
    cr_assert_eq(ngot, NS);
    for (int i = 0; i < NS; i++)
        cr_expect_eq(got[i].r.tag, (uint64_t)i);
    size_t total = 0;
    for (int b = 0; b < atomic_load(&nbatch); b++) {
        cr_expect_leq(batch_sizes[b], WK_TEST_BATCH_MAX);
        total += batch_sizes[b];
    }
    cr_expect_eq(total, NS, "every stream embedded once, in batches");
    cr_expect_geq(atomic_load(&nbatch), (NS + WK_TEST_BATCH_MAX - 1) / WK_TEST_BATCH_MAX);
    finish(&loop, w);
}

/* Wait (without running the loop) until the worker has nothing queued and has had time to
 * fall asleep; returns its wake-up count. */
static uint64_t settle(workers *w)
{
    workers_stats st;
    do {
        usleep(1000);
        workers_get_stats(w, 0, &st);
    } while (st.depth > 0);
    usleep(50000);
    workers_get_stats(w, 0, &st);
    return st.wakeups;
}

/* Audio does not wake a sleeping worker block by block (a futex wake and two context
 * switches per 20 ms block, for microseconds of engine work): blocks wait for the loop's
 * timer (WK_WAKE_MS), which wakes the worker once for all of them; WK_WAKE_BATCH waiting
 * jobs, or a request, wake it at once. Step by step, without timing assumptions: the loop
 * is not run until the test wants the timer to fire. */
Test(workers, audio_wakes_a_sleeping_worker_once_per_timer_not_per_block)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 1, .queue_len = 100000,
                                                      .engine = &test_engine, .config = cfg1s,
                                                      .on_result = on_result});
    uint64_t id = workers_open(w), w0 = settle(w);
    int16_t block[160] = {0};
    workers_stats st;
    for (int b = 0; b < 5; b++)
        cr_assert_eq(workers_audio(w, id, block, 160), 0);
    usleep(50000);
    workers_get_stats(w, 0, &st);
    cr_expect_eq(st.depth, 5, "5 blocks wait for the timer, not fed yet");
    cr_expect_eq(st.wakeups, w0, "no wake-up per block");
    for (int t = 0; t < 5000 && st.samples < 5 * 160; t++) {
        uv_run(&loop, UV_RUN_NOWAIT); /* the timer fires */
        usleep(1000);
        workers_get_stats(w, 0, &st);
    }
    cr_assert_eq(st.samples, 5 * 160, "the timer woke the worker");
    cr_expect_eq(settle(w), w0 + 1, "one wake-up for the 5 blocks");

    /* WK_WAKE_BATCH (32) waiting blocks wake it without the loop. */
    w0 = settle(w);
    for (int b = 0; b < 32; b++)
        cr_assert_eq(workers_audio(w, id, block, 160), 0);
    cr_expect_eq(settle(w), w0 + 1);
    workers_get_stats(w, 0, &st);
    cr_expect_eq(st.samples, 37 * 160, "32 waiting blocks woke the worker");

    /* A request wakes it at once, with the block queued before it. */
    cr_assert_eq(workers_audio(w, id, block, 160), 0);
    cr_assert_eq(workers_verify(w, id, 7, "x", (const uint8_t *)"12345678", 8, NULL), 0);
    settle(w);
    workers_get_stats(w, 0, &st);
    cr_expect_eq(st.samples, 38 * 160, "the request woke the worker");
    run_until_results(&loop, 1, 5000);
    cr_expect_eq(ngot, 1);
    workers_close_stream(w, id);
    finish(&loop, w);
}

/* ---------- the real engine ---------- */

static int16_t *read_wav(const char *name, size_t *n)
{
    char path[1024];
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/%s", src ? src : ".", name);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return NULL;
    cr_assert_eq(info.samplerate, 8000, "%s", name);
    cr_assert_eq(info.channels, 1);
    int16_t *pcm = malloc((size_t)info.frames * sizeof *pcm);
    *n = (size_t)sf_read_short(f, pcm, info.frames);
    sf_close(f);
    return pcm;
}

/* Feed files in 20 ms blocks, as calls arrive. Returns seconds fed. */
static double feed_files(workers *w, uint64_t id, const char *const *names)
{
    double secs = 0;
    for (; *names; names++) {
        size_t n = 0;
        int16_t *pcm = read_wav(*names, &n);
        cr_assert_not_null(pcm, "fixture %s", *names);
        for (size_t off = 0; off < n; off += 160) {
            size_t k = n - off < 160 ? n - off : 160;
            /* A full queue would drop audio: wait instead, this test is about scores. */
            while (workers_audio(w, id, pcm + off, k) != 0)
                usleep(1000);
        }
        secs += (double)n / 8000.0;
        free(pcm);
    }
    return secs;
}

Test(workers, real_engine_enrol_a_verify_a_and_b, .timeout = 120)
{
    char model_path[1024];
    const char *src = getenv("CALLPRINT_SOURCE_DIR");
    /* CALLPRINT_TEST_MODEL: try another model file (engine development). */
    if (getenv("CALLPRINT_TEST_MODEL"))
        snprintf(model_path, sizeof model_path, "%s", getenv("CALLPRINT_TEST_MODEL"));
    else
        snprintf(model_path, sizeof model_path, "%s/biometrics/models/callprint.model",
                 src ? src : ".");
    if (access(model_path, R_OK) != 0)
        cr_skip_test("no model file at %s yet", model_path);
    char err[256] = "";
    bio_model *m = bio_model_load(model_path, err, sizeof err);
    cr_assert_not_null(m, "model load: %s", err);
    bio_config cfg = bio_model_default_config(m);
    cfg.min_enroll_speech = 10.0; /* the fixtures hold ~18 s of net speech for enrolment */

    uv_loop_t loop;
    uv_loop_init(&loop);
    workers *w = workers_new(&loop, &(workers_options){.threads = 2, .model = m, .config = cfg,
                                                      .on_result = on_result});
    cr_assert_not_null(w);
    uint64_t a = workers_open(w), a2 = workers_open(w), b = workers_open(w);
    const char *enrol[] = {"fixtures/workers/1688-142285-0000.wav",
                           "fixtures/workers/1688-142285-0001.wav", NULL};
    const char *va[] = {"fixtures/workers/1688-142285-0007.wav",
                        "fixtures/workers/1688-142285-0004.wav", NULL};
    const char *vb[] = {"fixtures/workers/2033-164914-0000.wav",
                        "fixtures/workers/2033-164914-0004.wav", NULL};
    feed_files(w, a, enrol);
    cr_assert_eq(workers_enroll(w, a, 1, "speaker-a", NULL), 0);
    run_until_results(&loop, 1, 60000);
    cr_assert_eq(ngot, 1);
    cr_assert_eq(got[0].r.status, BIO_OK, "enrol: %s (speech %.1f s)",
                 bio_strerror(got[0].r.status), got[0].r.speech_seconds);
    cr_expect_gt(got[0].r.speech_seconds, 10.0);
    static uint8_t print[BIO_VOICEPRINT_MAX];
    size_t print_len = last_print_len;
    cr_assert_gt(print_len, 0);
    memcpy(print, last_print, print_len);
    feed_files(w, a2, va);
    feed_files(w, b, vb);
    ngot = 0;
    cr_assert_eq(workers_verify(w, a2, 10, "speaker-a", print, print_len, NULL), 0);
    cr_assert_eq(workers_verify(w, b, 11, "speaker-a", print, print_len, NULL), 0);
    run_until_results(&loop, 2, 60000);
    cr_assert_eq(ngot, 2);
    const workers_result *ra = got[0].r.tag == 10 ? &got[0].r : &got[1].r;
    const workers_result *rb = got[0].r.tag == 10 ? &got[1].r : &got[0].r;
    cr_assert_eq(ra->status, BIO_OK, "%s", bio_strerror(ra->status));
    cr_assert_eq(rb->status, BIO_OK, "%s", bio_strerror(rb->status));
    cr_log_info("A vs A: score %.2f (%s), A vs B: score %.2f (%s)", ra->verify.score,
                bio_verdict_name(ra->verify.verdict), rb->verify.score,
                bio_verdict_name(rb->verify.verdict));
    cr_expect_gt(ra->verify.score, rb->verify.score, "same speaker scores higher");
    cr_expect_neq(rb->verify.verdict, BIO_VERIFIED, "impostor not verified");
    finish(&loop, w);
    bio_model_free(m);
}
