/* app.c -- builds and tears down the gateway's components. See app.h.
 *
 * Order matters both ways. Building: the engine model first (workers need it), then the
 * store, auth and webhooks (no network listener yet, so nothing can reach a half-built
 * gateway), then the workers, and the server last, followed by what plugs into it (live
 * biometrics as an audio sink, the REST routes). Closing: the server first (no new input;
 * ending streams lets live biometrics send their final webhooks and writes), then workers,
 * then the queues that drain to the outside (webhooks, Redis) with bounded deadlines.
 *
 * A graceful stop waits for the final answers before closing the workers: the workers compute
 * them, so closing the pool at once (as an immediate stop does) lost every call's last
 * verdict. Its phases -- streams, final answers, flush -- share one deadline, the end of the
 * grace period, so a stuck webhook receiver cannot stretch the stop past what the operator
 * configured (the supervisor's kill timeout is sized from it).
 */
#include "core/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fraud/fraud.h"
#include "fraud/honeypot.h"
#include "console/console.h"
#include "core/app_live.h"
#include "live/live.h"
#include "common/log.h"
#include "sessions/sessions.h"
#include "fraud/speaker.h"
#include "core/metrics.h"
#include "http/wsecret.h"

#define APP_DRAIN_MS 5000  /* in-flight webhook deliveries get this long at webhook_close */
#define APP_FLUSH_MS 10000 /* queued webhooks and Redis writes get this long to go out */
#define APP_STOP_TICK_MS 20
/* A graceful stop keeps this part of the grace period (a quarter, at most this much) for the
 * final answers of the streams it has to end and for their webhooks. */
#define APP_FINAL_RESERVE_MAX_MS 2000

uint64_t app_uptime_ms(const app *a)
{
    return uv_now(a->loop) - a->started_ms;
}

/* Thresholds and minimums: the model's measured defaults unless configured. */
static void load_engine(app *a)
{
    const config *c = a->cfg;
    a->engine = bio_engine_find(c->engine[0] ? c->engine : NULL);
    if (!a->engine) {
        snprintf(a->model_error, sizeof a->model_error, "unknown engine \"%s\"", c->engine);
        return;
    }
    if (c->spoof_model[0]) {
        a->spoof = bio_spoof_model_load(c->spoof_model, a->model_error, sizeof a->model_error);
        if (!a->spoof)
            return;
        a->spoof_threshold = c->spoof_threshold >= 0 ? c->spoof_threshold
                                                      : bio_spoof_model_threshold(a->spoof);
    }
    a->spoof_reject = strcmp(c->spoof_policy, "flag") != 0;
    a->model = a->engine->load(c->model, a->model_error, sizeof a->model_error);
    if (!a->model)
        return;
    a->bio = a->engine->default_config(a->model);
    if (c->min_enroll_speech >= 0)
        a->bio.min_enroll_speech = c->min_enroll_speech;
    if (c->min_verify_speech >= 0)
        a->bio.min_verify_speech = c->min_verify_speech;
    if (c->thr_verified >= 0)
        a->bio.thr_verified = c->thr_verified;
    if (c->thr_not_sure >= 0)
        a->bio.thr_not_sure = c->thr_not_sure;
}

static void on_worker_result(const workers_result *r, void *arg)
{
    app *a = arg;
    if (r->kind == WORKERS_IDENTIFY || (r->tag & FRAUD_TAG_BIT))
        fraud_worker_result(a->fraud, r);
    else if (a->live)
        live_worker_result(a->live, r);
}

/* A webhook's outcome: the console shows each call's deliveries. */
static void on_webhook_result(const webhook_result *r, void *arg)
{
    app *a = arg;
    if (a->console)
        console_webhook_result(a->console, r);
}

static int open_services(app *a, char *err, size_t errcap)
{
    const config *c = a->cfg;
    store_options so = {
        .url = c->redis_url,
        .prefix = c->redis_prefix,
        .session_ttl_s = (unsigned)c->session_ttl_s,
        .voiceprint_key = c->voiceprint_key,
    };
    a->store = store_open(a->loop, &so, err, errcap);
    if (!a->store)
        return -1;
    a->wsecret = wsecret_new(a->loop, c, a->store);
    if (!a->wsecret) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }

    /* One password hash at a time: the libuv pool (4 threads) also runs imports and name
     * lookups, and a burst of logins must not take all of it. */
    auth_options ao = {.initial_password = c->admin_password,
                       .token_ttl_s = c->token_ttl_s,
                       .max_user_failures = c->login_user_failures,
                       .user_window_s = c->login_user_window_s,
                       .max_kdf_jobs = 1};
    a->auth = auth_new(&ao);
    if (!a->auth) {
        snprintf(err, errcap, "cannot create the admin account");
        return -1;
    }

    webhook_options wo = {
        .queue_max = (size_t)c->webhook_queue_max,
        .max_attempts = c->webhook_attempts,
        .timeout_ms = c->webhook_timeout_ms,
        .tls = {.ca_file = c->webhook_ca_file[0] ? c->webhook_ca_file : NULL},
        .on_result = on_webhook_result,
        .on_result_arg = a,
    };
    a->webhooks = webhook_new(a->loop, &wo);
    if (!a->webhooks) {
        snprintf(err, errcap, "cannot create the webhook sender");
        return -1;
    }

    if (a->model) {
        workers_options wk = {
            .threads = c->workers,
            .queue_len = (size_t)c->worker_queue_len,
            .model = a->model,
            .engine = a->engine,
            .spoof_model = a->spoof,
            .spoof_threshold = a->spoof_threshold,
            .config = a->bio,
            .on_result = on_worker_result,
            .on_result_arg = a,
        };
        a->workers = workers_new(a->loop, &wk);
        if (!a->workers) {
            snprintf(err, errcap, "cannot start the biometric workers");
            return -1;
        }
    }
    return 0;
}

app *app_new(uv_loop_t *loop, const config *cfg, char *err, size_t errcap)
{
    app *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    a->loop = loop;
    a->cfg = cfg;
    a->started_ms = uv_now(loop);

    load_engine(a);
    if (!a->model)
        log_error("biometrics disabled: %s", a->model_error);
    else
        log_info("model %s loaded (engine %s; verified >= %.1f, not_sure >= %.1f)", cfg->model,
                 a->engine->name, a->bio.thr_verified, a->bio.thr_not_sure);

    if (open_services(a, err, errcap) != 0)
        goto fail;
    a->srv = server_new(loop, cfg, err, errcap);
    if (!a->srv)
        goto fail;
    a->reg = server_registry(a->srv);
    a->router = server_router(a->srv);
    a->media = server_media(a->srv);

    if (app_live_open(a) != 0) {
        snprintf(err, errcap, "cannot start live biometrics");
        goto fail;
    }
    a->sessions = sessions_new(a, err, errcap); /* after live: its sink comes later */
    if (!a->sessions)
        goto fail;
    a->fraud = fraud_new(a); /* after sessions: reads the session id sessions settles */
    if (!a->fraud) {
        snprintf(err, errcap, "cannot start fraud screening");
        goto fail;
    }
    a->honeypot = honeypot_new(a, err, errcap); /* fraud sends calls to it (NULL-safe) */
    if (!a->honeypot)
        goto fail;
    a->speaker = speaker_new(a);
    if (!a->speaker) {
        snprintf(err, errcap, "cannot start the speaker lifecycle");
        goto fail;
    }
    api_register(a);
    metrics_register(a);
    a->console = console_new(a);
    if (!a->console) {
        snprintf(err, errcap, "cannot start the console");
        goto fail;
    }
    if (!auth_enabled(a->auth))
        log_warn("CALLPRINT_ADMIN_PASSWORD is not set: the REST API is disabled");
    return a;

fail:
    app_close(a);
    /* Nothing is listening yet, so one loop round settles every handle. */
    uv_run(loop, UV_RUN_DEFAULT);
    if (app_close_finish(a))
        uv_run(loop, UV_RUN_DEFAULT);
    app_free(a);
    return NULL;
}

static void on_closed(void *arg)
{
    app *a = arg;
    a->closes_pending--;
}

/* Poll with cb every APP_STOP_TICK_MS until the absolute loop time deadline_ms. */
static void stop_timer_until(app *a, uv_timer_cb cb, uint64_t deadline_ms)
{
    if (!a->stop_timer_open) {
        uv_timer_init(a->loop, &a->stop_timer);
        a->stop_timer.data = a;
        a->stop_timer_open = true;
    }
    a->stop_deadline_ms = deadline_ms;
    uv_timer_start(&a->stop_timer, cb, 0, APP_STOP_TICK_MS);
}

static void stop_timer_start(app *a, uv_timer_cb cb, uint64_t delay_ms)
{
    stop_timer_until(a, cb, uv_now(a->loop) + delay_ms);
}

static bool stop_deadline_passed(const app *a)
{
    return uv_now(a->loop) >= a->stop_deadline_ms;
}

static void close_begin(app *a, bool graceful);

static void on_drain_tick(uv_timer_t *t)
{
    app *a = t->data;
    size_t left = a->reg ? registry_count(a->reg) : 0;
    if (left && !stop_deadline_passed(a))
        return;
    if (left)
        log_warn("grace period over: ending %zu running stream(s)", left);
    else
        log_info("drained: no stream left");
    close_begin(a, true);
}

static uint64_t final_reserve_ms(uint64_t grace_ms)
{
    uint64_t r = grace_ms / 4;
    return r < APP_FINAL_RESERVE_MAX_MS ? r : APP_FINAL_RESERVE_MAX_MS;
}

void app_drain(app *a, uint64_t grace_ms, void (*done)(void *arg), void *arg)
{
    if (a->closing || a->draining)
        return;
    a->draining = true;
    a->drain_done = done;
    a->drain_arg = arg;
    if (a->srv)
        server_drain(a->srv);
    char streams[24], grace[24];
    snprintf(streams, sizeof streams, "%zu", a->reg ? registry_count(a->reg) : 0);
    snprintf(grace, sizeof grace, "%llu", (unsigned long long)grace_ms);
    log_write(LOG_INFO, NULL, NULL, LOG_KV("streams", streams, "grace_ms", grace),
              "graceful stop: waiting for running streams");
    /* The whole graceful stop ends by grace_end_ms: streams still running are ended a little
     * before it, so that their final answers and webhooks fit in the grace period too. */
    a->grace_end_ms = uv_now(a->loop) + grace_ms;
    stop_timer_start(a, on_drain_tick, grace_ms - final_reserve_ms(grace_ms));
}

/* What the outbound queues hold and have done (zeros for a part not started). */
static void outbound_stats(app *a, webhook_stats *ws, store_stats *ss)
{
    *ws = (webhook_stats){0};
    *ss = (store_stats){0};
    if (a->webhooks)
        webhook_get_stats(a->webhooks, ws);
    if (a->store)
        store_get_stats(a->store, ss);
}

/* The outbound totals at the end of the flush, for the operator (and the shutdown test). */
static void log_flushed(app *a)
{
    webhook_stats ws;
    store_stats ss;
    outbound_stats(a, &ws, &ss);
    char v[5][24];
    snprintf(v[0], sizeof v[0], "%llu", (unsigned long long)ws.sent);
    snprintf(v[1], sizeof v[1], "%llu", (unsigned long long)ws.delivered);
    snprintf(v[2], sizeof v[2], "%llu", (unsigned long long)(ws.dropped + ws.failed));
    snprintf(v[3], sizeof v[3], "%llu", (unsigned long long)ss.writes_acked);
    snprintf(v[4], sizeof v[4], "%zu", ss.queued_ops);
    log_write(LOG_INFO, NULL, NULL,
              LOG_KV("webhooks_sent", v[0], "webhooks_delivered", v[1], "webhooks_lost", v[2],
                     "redis_writes_acked", v[3], "redis_writes_queued", v[4]),
              "outbound queues flushed");
}

/* Thread-pool jobs whose completion still runs on the loop and uses the store (an import's
 * writes and reply, a login's audit record, a password change's record). */
static bool pool_busy(const app *a)
{
    return (a->api && a->api->imports > 0) || auth_jobs_running(a->auth) > 0;
}

static void close_stop_timer(app *a)
{
    if (a->stop_timer_open) {
        uv_timer_stop(&a->stop_timer);
        uv_close((uv_handle_t *)&a->stop_timer, NULL);
        a->stop_timer_open = false;
    }
}

static void on_pool_tick(uv_timer_t *t);

/* The store is closed (and freed) only once no thread-pool job can reach it any more:
 * imports give up early once api->stopping is set, a password hash takes a fraction of a
 * second. Until then the stop timer polls. */
static void close_store_when_idle(app *a)
{
    if (pool_busy(a)) {
        stop_timer_start(a, on_pool_tick, 0);
        return;
    }
    close_stop_timer(a);
    if (a->store) {
        a->closes_pending++;
        store_close(a->store, on_closed, a);
    }
}

static void on_pool_tick(uv_timer_t *t)
{
    app *a = t->data;
    if (!pool_busy(a))
        close_store_when_idle(a);
}

/* Flush done (or out of time): close the outbound queues, then the store. */
static void close_outputs(app *a)
{
    log_flushed(a);
    if (a->srv)
        server_close(a->srv);
    if (a->webhooks) { /* a graceful stop gives in-flight deliveries what is left of it */
        uint64_t now = uv_now(a->loop), drain = APP_DRAIN_MS;
        if (a->grace_end_ms)
            drain = a->grace_end_ms > now ? a->grace_end_ms - now : 0;
        a->closes_pending++;
        webhook_close(a->webhooks, (long)(drain < APP_DRAIN_MS ? drain : APP_DRAIN_MS), on_closed,
                      a);
    }
    if (a->sessions) { /* before the store: stops writes from forwards still running */
        a->closes_pending++;
        sessions_close(a->sessions, on_closed, a);
    }
    wsecret_close(a->wsecret); /* before the store: no retry after it closed */
    close_store_when_idle(a);
}

static void on_flush_tick(uv_timer_t *t)
{
    app *a = t->data;
    webhook_stats ws;
    store_stats ss;
    outbound_stats(a, &ws, &ss);
    size_t conns = a->srv ? server_connections(a->srv) : 0;
    if ((ws.queued || ss.queued_ops || conns) && !stop_deadline_passed(a))
        return;
    if (ws.queued || ss.queued_ops || conns) {
        char wq[24], sq[24], cq[24];
        snprintf(wq, sizeof wq, "%zu", ws.queued);
        snprintf(sq, sizeof sq, "%zu", ss.queued_ops);
        snprintf(cq, sizeof cq, "%zu", conns);
        log_write(LOG_WARN, NULL, NULL,
                  LOG_KV("webhooks_queued", wq, "redis_writes_queued", sq, "connections", cq),
                  "flush timed out: closing with work queued");
    }
    close_outputs(a);
}

/* No final answer will be awaited any more: release live biometrics, stop the workers. */
static void close_workers(app *a)
{
    if (a->live)
        live_close(a->live);
    fraud_close(a->fraud);
    if (a->workers) {
        a->closes_pending++;
        workers_close(a->workers, on_closed, a);
    }
}

/* Graceful stop, streams ended: wait for their final answers (worker verdicts, enrolment
 * writes; live.c publishes them and queues their webhooks), then flush. The deadline stays the
 * end of the grace period, for both steps. */
static void on_finals_tick(uv_timer_t *t)
{
    app *a = t->data;
    size_t left = live_pending(a->live);
    if (left && !stop_deadline_passed(a))
        return;
    if (left) {
        char n[24];
        snprintf(n, sizeof n, "%zu", left);
        log_write(LOG_WARN, NULL, NULL, LOG_KV("streams", n),
                  "grace period over: final answers given up");
    }
    close_workers(a);
    stop_timer_until(a, on_flush_tick, a->stop_deadline_ms);
}

/* End every stream (sinks see on_stop and live posts each job's final request); then either
 * wait for the final answers until the end of the grace period (graceful), or not (an
 * immediate stop) and flush for at most APP_FLUSH_MS. */
static void close_begin(app *a, bool graceful)
{
    if (a->closing)
        return;
    a->closing = true;
    if (a->api) { /* imports running on the thread pool stop at their next block */
        atomic_store(&a->api->stopping, true);
        api_failures_flush(a); /* while the store is still open */
    }
    if (a->drain_done) {
        void (*done)(void *) = a->drain_done;
        a->drain_done = NULL;
        done(a->drain_arg);
    }
    console_close(a->console); /* its clients' streams end; the page can reconnect elsewhere */
    if (a->srv) /* ends every stream (sinks see on_stop); sockets close while the loop runs */
        server_stop_streams(a->srv);
    if (graceful && a->live) {
        uint64_t now = uv_now(a->loop);
        stop_timer_until(a, on_finals_tick, a->grace_end_ms > now ? a->grace_end_ms : now);
        return;
    }
    a->grace_end_ms = 0; /* immediate: the flush has its own bound */
    close_workers(a);
    /* The streams' final webhooks and Redis writes are queued now, and the connections'
     * last replies and close frames: keep the loop running until they are out
     * (on_flush_tick), then close the server and the queues. */
    stop_timer_start(a, on_flush_tick, APP_FLUSH_MS);
}

void app_close(app *a) { close_begin(a, false); }

bool app_close_finish(app *a)
{
    if (a->srv && !server_is_closed(a->srv)) {
        server_close(a->srv);
        return true;
    }
    return false;
}

void app_free(app *a)
{
    if (!a)
        return;
    if (a->closes_pending)
        log_error("shutdown: %d component(s) did not close", a->closes_pending);
    app_live_free(a);
    console_free(a->console); /* after live: its observer feeds the console */
    sessions_free(a->sessions);
    fraud_free(a->fraud);
    speaker_free(a->speaker);
    if (a->srv)
        server_free(a->srv);
    honeypot_free(a->honeypot); /* after the server: its streams are over */
    api_free(a->api);
    if (a->auth)
        auth_free(a->auth);
    if (a->model)
        a->engine->unload(a->model);
    wsecret_free(a->wsecret);
    bio_spoof_model_free(a->spoof);
    free(a);
}
