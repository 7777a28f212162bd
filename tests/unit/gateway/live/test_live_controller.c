/* test_live_controller.c -- the live controller (gateway/live/live.h) against fakes.
 *
 * live_new takes its dependencies as tables of functions, so this test drives it with a fake
 * worker pool and a fake store defined here, on a real uv loop and a real registry. The fakes
 * record every request (with the audio its stream had received when it was posted, and
 * whether the worker stream was already closed) and answer only when the test says so, which
 * makes the races of a call's end reproducible: a voiceprint read answered after the stream
 * ended, a worker answer in flight at the end. An auto mode answers everything from a timer,
 * for the tick's cadence.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "live/live.h"
#include "streams/registry.h"

#define FK_MAX 256
#define FK_STAMP "stamp-1"

/* ---------- the fake worker pool ---------- */

typedef struct {
    workers_job_kind kind;
    uint64_t wid, tag;
    char external_id[64];
    size_t samples;     /* audio of its stream fed before the request */
    bool after_close;   /* posted on a worker stream already closed: a bug */
    bool answered;
} fk_req;

typedef struct {
    uint64_t next_wid;
    size_t samples[FK_MAX]; /* by worker stream id */
    bool closed[FK_MAX];
    size_t closed_at[FK_MAX]; /* requests posted before the close */
    size_t n_open, n_close;
    fk_req req[FK_MAX];
    size_t n_req;
} fake_pool;

static uint64_t fp_open(void *ctx)
{
    fake_pool *p = ctx;
    p->n_open++;
    return ++p->next_wid;
}

static int fp_audio(void *ctx, uint64_t wid, const int16_t *pcm, size_t n)
{
    (void)pcm;
    fake_pool *p = ctx;
    p->samples[wid] += n;
    return 0;
}

static int fp_post(fake_pool *p, workers_job_kind kind, uint64_t wid, uint64_t tag,
                   const char *external_id)
{
    cr_assert_lt(p->n_req, FK_MAX);
    fk_req *q = &p->req[p->n_req++];
    *q = (fk_req){.kind = kind, .wid = wid, .tag = tag, .samples = p->samples[wid],
                  .after_close = p->closed[wid]};
    snprintf(q->external_id, sizeof q->external_id, "%s", external_id);
    return 0;
}

static int fp_enroll(void *ctx, uint64_t wid, uint64_t tag, const char *external_id)
{
    return fp_post(ctx, WORKERS_ENROLL, wid, tag, external_id);
}

static int fp_verify(void *ctx, uint64_t wid, uint64_t tag, const char *external_id,
                     const uint8_t *voiceprint, size_t len, const bio_config *cfg)
{
    (void)cfg;
    cr_assert(voiceprint && len, "a verification always carries the cached voiceprint");
    return fp_post(ctx, WORKERS_VERIFY, wid, tag, external_id);
}

static void fp_close(void *ctx, uint64_t wid)
{
    fake_pool *p = ctx;
    cr_assert(!p->closed[wid], "a worker stream is closed once");
    p->closed[wid] = true;
    p->closed_at[wid] = p->n_req;
    p->n_close++;
}

/* ---------- the fake store ---------- */

typedef enum { FS_GET, FS_SPEAKER, FS_PUT, FS_STAMP } fs_kind;

typedef struct {
    fs_kind kind;
    char external_id[64];
    store_put_mode mode;
    void *cb, *arg;
    bool answered;
} fs_op;

typedef struct {
    fs_op op[FK_MAX];
    size_t n;
} fake_store;

static void fs_push(fake_store *s, fs_kind k, const char *id, void *cb, void *arg,
                    store_put_mode mode)
{
    cr_assert_lt(s->n, FK_MAX);
    fs_op *o = &s->op[s->n++];
    *o = (fs_op){.kind = k, .mode = mode, .cb = cb, .arg = arg};
    snprintf(o->external_id, sizeof o->external_id, "%s", id);
}

static void fs_get(void *ctx, const char *id, store_voiceprint_cb *cb, void *arg)
{
    fs_push(ctx, FS_GET, id, (void *)cb, arg, 0);
}
static void fs_speaker(void *ctx, const char *id, store_speaker_cb *cb, void *arg)
{
    fs_push(ctx, FS_SPEAKER, id, (void *)cb, arg, 0);
}
static void fs_put(void *ctx, const store_voiceprint *vp, store_put_mode mode, store_done_cb *cb,
                   void *arg)
{
    cr_assert(vp->blob && vp->len, "the worker's voiceprint is written");
    fs_push(ctx, FS_PUT, vp->external_id, (void *)cb, arg, mode);
}
static void fs_stamp(void *ctx, const char *id, store_id_cb *cb, void *arg)
{
    fs_push(ctx, FS_STAMP, id, (void *)cb, arg, 0);
}

/* The oldest unanswered operation of kind k (the test fails without one). */
static fs_op *fs_next(fake_store *s, fs_kind k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->op[i].kind == k && !s->op[i].answered) {
            s->op[i].answered = true;
            return &s->op[i];
        }
    cr_assert_fail("no store operation of kind %d pending", (int)k);
    return NULL;
}

static size_t fs_count(const fake_store *s, fs_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->op[i].kind == k;
    return n;
}

static const uint8_t fk_print[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static void fs_answer_get(fake_store *s, store_status st)
{
    fs_op *o = fs_next(s, FS_GET);
    store_voiceprint vp = {.external_id = o->external_id, .blob = fk_print,
                           .len = sizeof fk_print, .created_ms = 1, .stamp = FK_STAMP};
    ((store_voiceprint_cb *)o->cb)(o->arg, st, st == STORE_OK ? &vp : NULL,
                                   st == STORE_OK ? NULL : "fake");
}

static void fs_answer_speaker(fake_store *s, store_status st, store_speaker sp)
{
    fs_op *o = fs_next(s, FS_SPEAKER);
    ((store_speaker_cb *)o->cb)(o->arg, st, st == STORE_OK ? &sp : NULL, NULL);
}

static store_put_mode fs_answer_put(fake_store *s, store_status st)
{
    fs_op *o = fs_next(s, FS_PUT);
    ((store_done_cb *)o->cb)(o->arg, st, NULL);
    return o->mode;
}

static void fs_answer_stamp(fake_store *s)
{
    fs_op *o = fs_next(s, FS_STAMP);
    ((store_id_cb *)o->cb)(o->arg, STORE_OK, FK_STAMP, NULL);
}

/* ---------- the fixture: loop, registry, controller, observer ---------- */

typedef struct {
    live_state last;
    char last_uuid[64];
    bool last_has_stream;
    size_t states, reports, added, removed;
    int removed_status;
} fk_obs;

static uv_loop_t loop;
static registry *reg;
static fake_pool pool;
static fake_store fstore;
static live *ctl;
static fk_obs obs;
static stream *strm;

static void obs_state(const live_state *st, void *arg)
{
    fk_obs *o = arg;
    o->states++;
    o->last = *st;
    o->last.stream_uuid = o->last.external_id = NULL; /* valid during the call only */
    o->last_has_stream = st->stream != NULL;
    snprintf(o->last_uuid, sizeof o->last_uuid, "%s", st->stream_uuid);
}

static void obs_report(const live_state *st, void *arg)
{
    (void)st;
    ((fk_obs *)arg)->reports++;
}

static void obs_stream(const stream *s, bool added, int status, void *arg)
{
    (void)s;
    fk_obs *o = arg;
    if (added) {
        o->added++;
    } else {
        o->removed++;
        o->removed_status = status;
    }
}

static const live_workers_ops pool_ops = {.ctx = &pool, .open = fp_open, .audio = fp_audio,
                                          .enroll = fp_enroll, .verify = fp_verify,
                                          .close = fp_close};
static const live_store_ops store_ops = {.ctx = &fstore, .voiceprint_get = fs_get,
                                         .speaker_get = fs_speaker, .voiceprint_put = fs_put,
                                         .voiceprint_stamp = fs_stamp};

/* A controller whose tick (interval_ms, one slot) does not come during a test unless the
 * test runs the loop that long. */
static void start(uint64_t interval_ms, double expiry_days)
{
    memset(&pool, 0, sizeof pool);
    memset(&fstore, 0, sizeof fstore);
    memset(&obs, 0, sizeof obs);
    cr_assert_eq(uv_loop_init(&loop), 0);
    reg = registry_new(8);
    cr_assert(reg);
    live_deps deps = {
        .loop = &loop,
        .reg = reg,
        .workers = &pool_ops,
        .store = &store_ops,
        .cfg = {.verify_interval_ms = interval_ms, .verify_slots = 1, .max_subscriptions = 8,
                .spoof_reject = true, .speaker_expiry_days = expiry_days},
    };
    ctl = live_new(&loop, &deps);
    cr_assert(ctl);
    live_observer_ops ops = {.on_state = obs_state, .on_report = obs_report,
                             .on_stream = obs_stream};
    cr_assert_eq(live_observe(ctl, &ops, &obs), 0);
    strm = stream_create("11111111-2222-4333-8444-555555555555", "MZ1", "CA1", uv_now(&loop));
    cr_assert(strm);
    cr_assert_eq(registry_admit(reg, strm), REG_OK);
    cr_expect_eq(obs.added, 1, "observers see the stream start");
    cr_expect_eq(pool.n_open, 1, "the stream gets a worker stream");
}

static void feed(size_t n)
{
    int16_t pcm[160] = {0};
    for (size_t done = 0; done < n; done += 160)
        registry_audio(reg, strm, pcm, 160, 0);
}

/* The call ends (a stop message); the owner frees the stream right after, as the server does. */
static void end_call(void)
{
    registry_remove(reg, strm, STREAM_END_STOP);
    stream_free(strm);
    strm = NULL;
}

static void stop(void)
{
    if (strm)
        end_call();
    live_close(ctl);
    uv_run(&loop, UV_RUN_DEFAULT); /* the tick's close: its handle is inside the controller */
    live_free(ctl);
    registry_free(reg);
    cr_expect_eq(uv_loop_close(&loop), 0);
}

/* The answer to request i, on the audio it saw (the caller fills in the rest). */
static workers_result answer_of(size_t i, bio_status st)
{
    fk_req *q = &pool.req[i];
    cr_assert(!q->answered);
    q->answered = true;
    return (workers_result){.kind = q->kind, .stream_id = q->wid, .tag = q->tag,
                            .external_id = q->external_id, .status = st,
                            .speech_seconds = (double)q->samples / 8000.0};
}

static void answer_verify(size_t i, bio_verdict v, double score)
{
    workers_result r = answer_of(i, BIO_OK);
    r.verify.verdict = v;
    r.verify.score = score;
    live_worker_result(ctl, &r);
}

static void answer_enroll(size_t i, bio_status st)
{
    workers_result r = answer_of(i, st);
    if (st == BIO_OK) {
        r.voiceprint = fk_print;
        r.voiceprint_len = sizeof fk_print;
    }
    live_worker_result(ctl, &r);
}

/* A job started on a call with 1600 samples of audio (its first Redis read pending). */
static void job_on_call(double expiry_days, live_kind k, const char *external_id)
{
    start(60000, expiry_days);
    feed(1600);
    cr_assert_eq(live_job_start(ctl, strm, k, external_id, LIVE_BY_API), LIVE_OK);
}

/* A verify job of "alice" on a call with `samples` of audio, its voiceprint read: the first
 * verification is in flight. */
static void verify_started(uint64_t interval_ms, size_t samples)
{
    start(interval_ms, 0);
    feed(samples);
    cr_assert_eq(live_job_start(ctl, strm, LIVE_VERIFY, "alice", LIVE_BY_API), LIVE_OK);
    fs_answer_get(&fstore, STORE_OK);
    cr_assert_eq(pool.n_req, 1, "the first verification goes once the voiceprint is read");
    cr_expect_eq(pool.req[0].samples, samples);
}

/* ---------- a call's end: the final request ---------- */

Test(live_controller, verify_print_read_after_the_end_still_gets_its_final_request)
{
    job_on_call(0, LIVE_VERIFY, "alice");
    cr_assert_eq(fs_count(&fstore, FS_GET), 1, "the voiceprint is read at the job's start");
    cr_assert_eq(pool.n_req, 0, "nothing to verify against yet");

    end_call(); /* the call is shorter than the Redis read */
    cr_expect_eq(obs.removed, 1);
    cr_expect_eq(obs.removed_status, 204, "a stop is removed with 204");
    cr_expect_eq(pool.n_close, 0, "the worker stream waits for the final request");
    cr_expect_eq(live_pending(ctl), 1);

    fs_answer_get(&fstore, STORE_OK);
    cr_assert_eq(pool.n_req, 1, "the voiceprint read posts the final verification");
    cr_expect(!pool.req[0].after_close);
    cr_expect_eq(pool.req[0].samples, 1600, "it sees all of the call's audio");
    cr_expect_eq(pool.n_close, 1, "the worker stream is closed behind it");
    cr_expect_eq(pool.closed_at[pool.req[0].wid], 1);

    answer_verify(0, BIO_VERIFIED, 91);
    cr_expect_eq(obs.last.status, LIVE_ST_VERDICT);
    cr_expect_eq(obs.last.result, LIVE_VERDICT_VERIFIED);
    cr_expect_float_eq(obs.last.score, 91, 1e-9);
    cr_expect(!obs.last_has_stream, "a final answer after the end has no stream");
    cr_expect_str_eq(obs.last_uuid, "11111111-2222-4333-8444-555555555555");
    cr_expect_eq(obs.reports, 1, "the final answer is reported to subscribers once");
    cr_expect_eq(live_pending(ctl), 0, "released after its final answer");
    stop();
}

Test(live_controller, answer_in_flight_at_the_end_leads_to_a_final_request_over_all_audio)
{
    verify_started(60000, 800);

    feed(1600); /* more audio comes while the first answer is computed */
    end_call();
    cr_expect_eq(pool.n_req, 1, "single flight: the final request waits for the answer");
    cr_expect_eq(pool.n_close, 0, "the worker stream stays open for it");

    answer_verify(0, BIO_NOT_SURE, 60);
    cr_assert_eq(pool.n_req, 2, "the answer in flight is followed by the final request");
    cr_expect(!pool.req[1].after_close);
    cr_expect_eq(pool.req[1].samples, 2400, "the final request sees all of the audio");
    cr_expect_eq(pool.n_close, 1);
    cr_expect_eq(pool.closed_at[pool.req[1].wid], 2, "closed behind the final request");
    cr_expect_eq(obs.last.result, LIVE_VERDICT_NOT_SURE, "the partial answer is published");
    cr_expect_eq(live_pending(ctl), 1, "the final answer is still awaited");

    answer_verify(1, BIO_VERIFIED, 95);
    cr_expect_eq(obs.last.result, LIVE_VERDICT_VERIFIED);
    cr_expect_float_eq(obs.last.speech_seconds, 2400 / 8000.0, 1e-9);
    cr_expect_eq(live_pending(ctl), 0);
    stop();
}

Test(live_controller, enrol_check_answered_after_the_end_still_enrols)
{
    job_on_call(0, LIVE_ENROLL, "bob");
    end_call();
    cr_expect_eq(pool.n_close, 0, "the existence check is still due");

    fs_answer_speaker(&fstore, STORE_NOT_FOUND, (store_speaker){0});
    cr_assert_eq(pool.n_req, 1);
    cr_expect_eq(pool.req[0].kind, WORKERS_ENROLL);
    cr_expect_eq(pool.req[0].samples, 1600);
    cr_expect(!pool.req[0].after_close);
    cr_expect_eq(pool.n_close, 1);

    answer_enroll(0, BIO_OK);
    cr_expect_eq(fs_answer_put(&fstore, STORE_OK), STORE_PUT_SKIP_EXISTING,
                 "a new voiceprint never replaces one written meanwhile");
    cr_expect_eq(obs.last.status, LIVE_ST_CREATED, "created once the store acknowledged it");
    cr_expect_eq(obs.last.detail, WHP_ENROLL_CREATED);
    cr_expect_eq(live_pending(ctl), 0);
    stop();
}

/* ---------- enrolment outcomes ---------- */

Test(live_controller, enrol_when_a_voiceprint_exists_answers_409_without_the_engine)
{
    job_on_call(0, LIVE_ENROLL, "bob");
    fs_answer_speaker(&fstore, STORE_OK,
                      (store_speaker){.enrolled = true, .created_ms = 1, .last_accessed_ms = 1});
    cr_expect_eq(obs.states, 1);
    cr_expect_eq(obs.last.kind, LIVE_ENROLL);
    cr_expect_eq(obs.last.status, LIVE_ST_EXISTS);
    cr_expect_eq(obs.last.detail, WHP_ENROLL_EXISTS);
    cr_expect_eq(pool.n_req, 0, "no voiceprint is computed");
    end_call();
    cr_expect_eq(pool.n_req, 0, "nor at the end");
    cr_expect_eq(fs_count(&fstore, FS_PUT), 0, "nothing is written");
    live_stats st;
    live_get_stats(ctl, &st);
    cr_expect_eq(st.enrol_exists, 1);
    stop();
}

Test(live_controller, enrol_of_an_opted_out_speaker_is_refused_for_good)
{
    job_on_call(0, LIVE_ENROLL, "carol");
    fs_answer_speaker(&fstore, STORE_OK, (store_speaker){.opted_out = true, .opted_out_ms = 1});
    cr_expect_eq(obs.last.status, LIVE_ST_OPTED_OUT);
    cr_expect_eq(obs.last.detail, WHP_ENROLL_OPTED_OUT);
    cr_expect_eq(pool.n_req, 0);
    end_call();
    cr_expect_eq(pool.n_req, 0, "no final request for a refused enrolment");
    cr_expect_eq(fs_count(&fstore, FS_PUT), 0);
    stop();
}

Test(live_controller, enrol_over_an_expired_voiceprint_overwrites_it)
{
    /* expiry after 30 days; the voiceprint was last used in 1970 */
    job_on_call(30, LIVE_ENROLL, "dave");
    fs_answer_speaker(&fstore, STORE_OK,
                      (store_speaker){.enrolled = true, .created_ms = 1, .last_accessed_ms = 1});
    cr_assert_eq(pool.n_req, 1, "an expired voiceprint does not stop the enrolment");
    answer_enroll(0, BIO_OK);
    cr_expect_eq(fs_answer_put(&fstore, STORE_OK), STORE_PUT_OVERWRITE);
    cr_expect_eq(obs.last.status, LIVE_ST_CREATED);
    stop();
}

Test(live_controller, verify_against_an_expired_voiceprint_is_404_without_the_engine)
{
    job_on_call(30, LIVE_VERIFY, "dave");
    fs_answer_get(&fstore, STORE_OK); /* created_ms = 1: long expired */
    cr_expect_eq(obs.last.status, LIVE_ST_NO_VOICEPRINT);
    cr_expect_eq(obs.last.result, LIVE_VERDICT_NO_VOICEPRINT);
    cr_expect_eq(obs.last.speaker, SPEAKER_EXPIRED);
    cr_expect_eq(pool.n_req, 0);
    stop();
}

/* ---------- the tick ---------- */

/* Auto mode: every 5 ms, answer what the controller asked (worker: verified; store: the
 * same stamp). */
static void auto_answer(uv_timer_t *t)
{
    (void)t;
    for (size_t i = 0; i < pool.n_req; i++)
        if (!pool.req[i].answered)
            answer_verify(i, BIO_VERIFIED, 90);
    for (size_t i = 0; i < fstore.n; i++)
        if (fstore.op[i].kind == FS_STAMP && !fstore.op[i].answered)
            fs_answer_stamp(&fstore);
}

static void stop_loop(uv_timer_t *t) { uv_stop(t->loop); }

Test(live_controller, the_tick_posts_and_reports_once_per_interval, .timeout = 30)
{
    verify_started(200, 1600);
    uv_update_time(&loop);
    uint64_t t0 = uv_now(&loop);

    uv_timer_t answerer, end;
    uv_timer_init(&loop, &answerer);
    uv_timer_start(&answerer, auto_answer, 5, 5);
    uv_timer_init(&loop, &end);
    uv_timer_start(&end, stop_loop, 1100, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t intervals = (uv_now(&loop) - t0) / 200; /* whole intervals that went by */

    live_stats st;
    live_get_stats(ctl, &st);
    /* A late wake-up may shift one tick across the end, never add one. */
    cr_expect_geq(st.ticks + 1, intervals, "%llu ticks in %llu intervals",
                  (unsigned long long)st.ticks, (unsigned long long)intervals);
    cr_expect_leq(st.ticks, intervals + 1, "%llu ticks in %llu intervals",
                  (unsigned long long)st.ticks, (unsigned long long)intervals);
    cr_expect_geq(st.ticks, 3);
    cr_expect_eq(pool.n_req, 1 + st.ticks, "one verification per tick, after the first");
    cr_expect_eq(fs_count(&fstore, FS_STAMP), st.ticks, "one stamp check beside each");
    cr_expect_geq(obs.reports + 1, st.ticks, "one report per tick: %zu", obs.reports);
    cr_expect_leq(obs.reports, st.ticks, "one report per tick: %zu", obs.reports);
    cr_expect_eq(obs.states, pool.n_req, "every answer is published to observers");
    cr_expect_eq(obs.last.status, LIVE_ST_VERDICT);
    cr_expect_eq(obs.last.result, LIVE_VERDICT_VERIFIED);
    cr_expect_float_eq(obs.last.score, 90, 1e-9);
    cr_expect(obs.last_has_stream);
    cr_expect_eq(st.verdicts[LIVE_VERDICT_VERIFIED], pool.n_req);

    uv_close((uv_handle_t *)&answerer, NULL);
    uv_close((uv_handle_t *)&end, NULL);
    stop();
}

Test(live_controller, a_poll_waits_for_the_answer_in_flight)
{
    verify_started(60000, 1600);
    fk_obs seen = {0};
    cr_assert_eq(live_poll(ctl, strm, LIVE_VERIFY, "alice", obs_state, &seen), LIVE_OK);
    cr_expect_eq(seen.states, 0, "the poll waits for the verification in flight");
    answer_verify(0, BIO_NOT_VERIFIED, 12);
    cr_expect_eq(seen.states, 1, "and gets its answer");
    cr_expect_eq(seen.last.result, LIVE_VERDICT_NOT_VERIFIED);
    cr_expect_eq(pool.n_req, 1, "the poll did not post a second request");
    stop();
}

Test(live_controller, jobs_are_refused_without_workers)
{
    cr_assert_eq(uv_loop_init(&loop), 0);
    reg = registry_new(8);
    live_deps deps = {.loop = &loop, .reg = reg, .store = &store_ops,
                      .cfg = {.verify_interval_ms = 1000, .verify_slots = 1,
                              .max_subscriptions = 8}};
    memset(&fstore, 0, sizeof fstore);
    ctl = live_new(&loop, &deps);
    cr_assert(ctl);
    cr_expect(!live_available(ctl));
    strm = stream_create(NULL, "MZ1", "CA1", 0);
    cr_assert_eq(registry_admit(reg, strm), REG_OK, "streams are accepted without a model");
    cr_expect_eq(live_job_start(ctl, strm, LIVE_VERIFY, "alice", LIVE_BY_API),
                 LIVE_UNAVAILABLE);
    cr_expect_eq(fstore.n, 0);
    stop();
}

/* ---------- the verdict's spellings ---------- */

Test(live_controller, each_contract_spells_every_verdict_once)
{
    for (int v = 0; v < LIVE_VERDICTS; v++) {
        const char *name = live_verdict_name(v);
        const char *wire = whp_verify_result_text(live_verdict_webhook(v));
        const char *rest = live_verdict_rest(v);
        cr_assert(name && strcmp(name, "unknown") != 0, "verdict %d has a metrics name", v);
        cr_assert(wire, "verdict %d has a webhook wording", v);
        cr_assert(rest, "verdict %d has a REST spelling", v);
        for (int w = 0; w < v; w++) {
            cr_expect_str_neq(name, live_verdict_name(w), "two verdicts named %s", name);
            cr_expect_str_neq(wire, whp_verify_result_text(live_verdict_webhook(w)));
            cr_expect_str_neq(rest, live_verdict_rest(w), "two verdicts spelt %s", rest);
        }
    }
    cr_expect_str_eq(live_verdict_rest(LIVE_VERDICT_NOT_VERIFIED), "not_verified");
    cr_expect_str_eq(live_verdict_rest(LIVE_VERDICT_NOT_ENOUGH_SPEECH), "insufficient_speech");
    cr_expect_str_eq(live_verdict_name(LIVE_VERDICT_NOT_VERIFIED), "not_verified");
    cr_expect_str_eq(whp_verify_result_text(live_verdict_webhook(LIVE_VERDICT_NOT_VERIFIED)),
                     "not verified");
    cr_expect_str_eq(live_verdict_name(LIVE_VERDICTS), "unknown");
}
