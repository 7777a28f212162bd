/* app_live.c -- live biometrics on the real worker pool and store. See app_live.h.
 *
 * The adapters only forward: the worker pool and the store keep their own signatures (their
 * first argument is their own handle), and live's tables carry it as a void * context. The
 * tables are static: live copies them at live_new.
 */
#include "core/app_live.h"

#include "http/wsecret.h"
#include "live/live.h"
#include "live/live_webhooks.h"
#include "store/store_speaker.h"

static uint64_t wk_open(void *ctx) { return workers_open(ctx); }

static int wk_audio(void *ctx, uint64_t wid, const int16_t *pcm, size_t n)
{
    return workers_audio(ctx, wid, pcm, n);
}

static int wk_enroll(void *ctx, uint64_t wid, uint64_t tag, const char *external_id)
{
    return workers_enroll(ctx, wid, tag, external_id, NULL);
}

static int wk_verify(void *ctx, uint64_t wid, uint64_t tag, const char *external_id,
                     const uint8_t *voiceprint, size_t len, const bio_config *cfg)
{
    return workers_verify(ctx, wid, tag, external_id, voiceprint, len, cfg);
}

static void wk_close(void *ctx, uint64_t wid) { workers_close_stream(ctx, wid); }

/* The store answers through the callback also when it refuses a command, so the int each
 * returns adds nothing for live. */
static void st_voiceprint_get(void *ctx, const char *external_id, store_voiceprint_cb *cb,
                              void *arg)
{
    (void)store_voiceprint_get(ctx, external_id, cb, arg);
}

static void st_speaker_get(void *ctx, const char *external_id, store_speaker_cb *cb, void *arg)
{
    (void)store_speaker_get(ctx, external_id, cb, arg);
}

static void st_voiceprint_put(void *ctx, const store_voiceprint *vp, store_put_mode mode,
                              store_done_cb *cb, void *arg)
{
    (void)store_voiceprint_put(ctx, vp, mode, cb, arg);
}

static void st_voiceprint_stamp(void *ctx, const char *external_id, store_id_cb *cb, void *arg)
{
    (void)store_voiceprint_stamp(ctx, external_id, cb, arg);
}

static const char *secret_of(void *ctx) { return wsecret_get(ctx); }

int app_live_open(app *a)
{
    const config *c = a->cfg;
    live_workers_ops wk = {.ctx = a->workers, .open = wk_open, .audio = wk_audio,
                           .enroll = wk_enroll, .verify = wk_verify, .close = wk_close};
    live_store_ops so = {.ctx = a->store, .voiceprint_get = st_voiceprint_get,
                         .speaker_get = st_speaker_get, .voiceprint_put = st_voiceprint_put,
                         .voiceprint_stamp = st_voiceprint_stamp};
    live_deps deps = {
        .loop = a->loop,
        .reg = a->reg,
        .workers = a->workers ? &wk : NULL,
        .store = &so,
        .cfg = {.verify_interval_ms = (uint64_t)c->verify_interval_ms,
                .verify_slots = (unsigned)c->verify_slots,
                .max_subscriptions = (size_t)c->max_subscriptions,
                .bio = a->bio,
                .spoof_reject = a->spoof_reject,
                .speaker_expiry_days = c->speaker_expiry_days,
                .allow_unsigned_enroll = c->allow_unsigned_enroll},
        .webhook_secret = secret_of,
        .webhook_secret_ctx = a->wsecret,
    };
    a->live = live_new(a->loop, &deps);
    if (!a->live)
        return -1;
    a->live_webhooks = live_webhooks_new(a->live, a->webhooks);
    return a->live_webhooks ? 0 : -1;
}

void app_live_free(app *a)
{
    live_free(a->live);
    a->live = NULL;
    live_webhooks_free(a->live_webhooks); /* after live: it reports until it is freed */
    a->live_webhooks = NULL;
}
