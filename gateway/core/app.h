/* app.h -- the composition root: every gateway component, created and closed in order.
 *
 * main() (cli/callprint.c) only parses arguments and the configuration, then hands a loop
 * and a config to app_new(). app.c builds the components in dependency order:
 *
 *     engine model -> store (Redis) -> auth -> webhooks -> workers -> server (HTTP + /stream)
 *     -> live biometrics (audio sink) -> REST routes
 *
 * and closes them in the reverse order. The struct is public on purpose: route files
 * (api_*.c) and controllers reach their collaborators through it, as Redis's modules reach
 * `server`. Only the loop thread touches it.
 *
 * Shutdown (docs/ops.md "Stopping"): app_drain() is the graceful stop (SIGTERM), bounded as
 * a whole by the grace period: no new connections or streams; running streams get the grace
 * period minus a reserve (a quarter, at most 2 s) to end by themselves, then the rest are
 * ended; the loop waits for every ended stream's final answers (live_pending) with the workers
 * still running, then for their webhooks and Redis writes, until the end of the grace period;
 * what is still undelivered then is given up. app_close() is the immediate stop (second
 * SIGTERM, grace 0): every stream ends, the workers stop without awaiting final answers, then
 * the flush: the loop keeps running until every queued webhook is delivered and every Redis
 * write is acknowledged (at most APP_FLUSH_MS). Only then are the webhook sender and the
 * store closed. The caller runs the loop until it returns, calls app_close_finish() (lws needs a
 * second destroy round on a foreign loop), runs the loop again, then
 * app_free().
 */
#ifndef CALLPRINT_APP_H
#define CALLPRINT_APP_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>

#include "api/auth.h"
#include "bio.h"
#include "core/config.h"
#include "engine.h"
#include "spoof.h"
#include "http/http.h"
#include "ingest/media.h"
#include "streams/registry.h"
#include "ingest/server.h"
#include "store/store.h"
#include "http/webhook.h"
#include "live/workers.h"

struct live;
struct api;
struct console;

typedef struct app {
    uv_loop_t *loop;
    const config *cfg;
    uint64_t started_ms; /* uv_now at start */

    /* The biometric engine; model == NULL when it could not be loaded (status says so,
     * /readyz fails, streams are still ingested). */
    const bio_engine *engine;
    void *model;
    bio_config bio; /* effective thresholds and minimums */
    char model_error[256];
    /* The spoofing countermeasure (NULL when spoof_model is ""; a configured model that does
     * not load is a model error like the engine's). spoof_reject: spoof_policy = reject. */
    bio_spoof_model *spoof;
    double spoof_threshold; /* effective */
    bool spoof_reject;

    store *store;       /* Redis: sessions, voiceprints, directory, audit */
    auth *auth;         /* the admin account and API tokens */
    webhook *webhooks;  /* subscription deliveries */
    workers *workers;   /* biometric threads; NULL without a model */
    server *srv;        /* lws on the loop: HTTP router + /stream */
    registry *reg;      /* = server_registry(srv) */
    http_router *router;/* = server_router(srv) */
    media_ctx *media;   /* = server_media(srv) */
    struct live *live;  /* live enrol/verify controller (live.h) */
    struct live_webhooks *live_webhooks; /* its webhooks to subscribers (live_webhooks.h) */
    struct api *api;    /* REST API state (api.h) */
    struct sessions *sessions; /* call sessions in Redis, org-API forwarding (sessions.h) */
    struct fraud *fraud;       /* caller ID, deny list, risk score (fraud.h) */
    struct wsecret *wsecret;   /* the zero-integration webhook secret (wsecret.h) */
    struct console *console;   /* the operator console at /console/ (console.h) */
    struct speaker *speaker;   /* speaker lifecycle: last access (speaker.h) */
    struct honeypot *honeypot; /* the dummy IVR for risky calls (honeypot.h) */

    bool closing;
    int closes_pending;
    /* Graceful stop (app_drain) and the flush of outbound queues (app_close). */
    uv_timer_t stop_timer;
    bool stop_timer_open, draining;
    uint64_t stop_deadline_ms;
    uint64_t grace_end_ms; /* graceful stop: when everything must be over (0: immediate) */
    void (*drain_done)(void *arg);
    void *drain_arg;
} app;

/* Build everything; NULL with err set when the gateway cannot start (bad configuration, port
 * in use). A missing model is not fatal: it is logged and reported by status/readiness. */
app *app_new(uv_loop_t *loop, const config *cfg, char *err, size_t errcap);
/* Graceful stop: drain, wait up to grace_ms for running streams, then app_close(). done(arg)
 * runs once when the drain is over (also when app_close() cuts it short), so the caller can
 * close its own handles (signal watchers). */
void app_drain(app *a, uint64_t grace_ms, void (*done)(void *arg), void *arg);
/* Begin shutdown. Safe to call twice. */
void app_close(app *a);
/* After the loop returned from the first round: lws's second destroy round if needed.
 * Returns true when the caller must run the loop once more. */
bool app_close_finish(app *a);
void app_free(app *a);

/* Milliseconds since app_new (for status). */
uint64_t app_uptime_ms(const app *a);

#endif
