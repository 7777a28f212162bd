/* fraud_reg.c -- registering a fraudster from a live stream.
 *
 * Started by the zero-integration parameters mode=register_fraudster, fraudster_id and
 * optional watchlist (default "default") and webhook, or by the REST API (POST
 * /api/v2/watchlists/{name}/fraudsters with "stream" instead of "audio"). Each tick while the
 * registration is open: an enrolment request on the stream's worker (as a live enrolment);
 * once there is enough net speech the new voiceprint is searched against the watchlist (the
 * stream's own engine state, one identify) -- the same voice already listed ends the
 * registration as a duplicate naming the match -- and otherwise stored and added. If the call
 * ends before, the registration fails with "not enough net speech".
 *
 * The outcome is logged, audited (fraudster_add), shown in the stream details
 * ("fraud.registration") and, with a webhook URL, posted once per state change:
 *   {"channel_uuid","type":"register_fraudster","status","payload":{"stream_uuid",
 *    "watchlist","fraudster_id","detail","speech_length","matched_fraudster_id"?,"score"?}}
 * status 202 waiting for speech, 201 registered, 409 the voice is already on the list
 * (matched_fraudster_id, score), 422 the call ended without enough speech, 503 the write failed.
 *
 * Worker requests of registrations carry tags with the top bit set (FRAUD_TAG_BIT), so app.c
 * routes their answers here rather than to the live controller.
 */
#include "fraud/fraud_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/store_fraud.h"
#include "live/subs.h"
#include "http/webhook.h"
#include "webhook_payload.h"
#include "live/workers.h"

static const char *reg_detail(int status)
{
    switch (status) {
    case 201: return "fraudster registered";
    case 409: return "this voice is already registered on the watchlist";
    case 422: return "the call ended without enough net speech";
    case 503: return "the voiceprint could not be stored";
    default: return "not enough net speech yet";
    }
}

cJSON *fraud_reg_json(const fcall *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "watchlist", c->reg_wl);
    cJSON_AddStringToObject(o, "fraudster_id", c->reg_id);
    cJSON_AddNumberToObject(o, "status", c->reg_status);
    cJSON_AddStringToObject(o, "detail", reg_detail(c->reg_status));
    cJSON_AddNumberToObject(o, "speech_length", (double)(long long)(c->reg_speech * 100) / 100);
    if (c->reg_status == 409) {
        cJSON_AddStringToObject(o, "matched_fraudster_id", c->reg_match);
        cJSON_AddNumberToObject(o, "score", (double)(long long)(c->reg_score * 100) / 100);
    }
    return o;
}

/* The state changed: tell the webhook (if any). */
static void reg_publish(fcall *c, int status)
{
    c->reg_status = status;
    if (!c->reg_url[0])
        return;
    char *body = whp_register_fraudster(c->uuid, status, c->uuid, c->reg_wl, c->reg_id,
                                        reg_detail(status), c->reg_speech,
                                        status == 409 ? c->reg_match : NULL, c->reg_score);
    if (!body || webhook_send_keyed(c->f->a->webhooks, c->reg_url, c->f->a->cfg->webhook_secret,
                                    c->uuid, body, strlen(body)) != 0)
        log_write(LOG_WARN, c->uuid, NULL, NULL, 0, "register_fraudster webhook not sent");
    free(body);
}

static void reg_end(fcall *c, int status)
{
    c->reg_open = false;
    free(c->reg_blob);
    c->reg_blob = NULL;
    log_write(status == 201 ? LOG_INFO : LOG_WARN, c->uuid, c->session_id[0] ? c->session_id : NULL,
              LOG_KV("watchlist", c->reg_wl, "fraudster_id", c->reg_id),
              "fraudster registration: %s", reg_detail(status));
    reg_publish(c, status);
}

int fraud_reg_start(fraud *f, struct stream *s, const char *watchlist, const char *id,
                    const char *url)
{
    fcall *c = f ? stream_sink_state(s, f->slot) : NULL;
    if (!c || !f->a->workers || !store_watchlist_name_ok(watchlist) || !live_external_id_ok(id))
        return -1;
    if (c->reg_open || c->reg_status == 201)
        return strcmp(c->reg_id, id) == 0 && strcmp(c->reg_wl, watchlist) == 0 ? 0 : -1;
    snprintf(c->reg_wl, sizeof c->reg_wl, "%s", watchlist);
    snprintf(c->reg_id, sizeof c->reg_id, "%s", id);
    snprintf(c->reg_url, sizeof c->reg_url, "%s", url ? url : "");
    c->reg_open = true;
    reg_publish(c, 202);
    return 0;
}

/* Zero-integration: mode=register_fraudster at stream start. */
void fraud_reg_zero(fraud *f, struct stream *s)
{
    const char *mode = stream_param(s, "mode");
    if (!mode || strcmp(mode, "register_fraudster") != 0)
        return;
    const char *id = stream_param(s, "fraudster_id"), *wl = stream_param(s, "watchlist");
    const char *url = stream_param(s, "webhook");
    const char *why = url ? subs_check_url(url) : NULL;
    if (!why && (!id || !live_external_id_ok(id)))
        why = "\"fraudster_id\" is missing, longer than 256 bytes or has control characters";
    if (!why && wl && !store_watchlist_name_ok(wl))
        why = "\"watchlist\" must be 1-64 characters of A-Z a-z 0-9 _ - .";
    if (!why && fraud_reg_start(f, s, wl ? wl : FRAUD_WATCHLIST_DEFAULT, id, url) != 0)
        why = "biometrics unavailable (no model)";
    if (why)
        log_write(LOG_WARN, s->uuid, NULL, NULL, 0, "register_fraudster ignored: %s", why);
}

/* Each tick: ask for a voiceprint while none is on its way. */
void fraud_reg_visit(fraud *f, fcall *c)
{
    if (!c->reg_open || c->reg_tag || c->reg_storing)
        return;
    if (!c->s) { /* the call ended before enough speech */
        reg_end(c, 422);
        return;
    }
    uint64_t wid = live_stream_worker(f->a->live, c->s);
    uint64_t tag = FRAUD_TAG_BIT | ++f->next_tag;
    if (!wid || workers_enroll(f->a->workers, wid, tag, c->reg_id, NULL) != 0)
        return;
    c->reg_tag = tag;
    c->pending++;
}

static void on_stored(void *arg, store_status st, const char *err)
{
    fcall *c = arg;
    fraud *f = c->f;
    c->reg_storing = false;
    fwl *w = fraud_watchlist_add(f, c->reg_wl);
    if (st == STORE_OK && w && fraud_fraudster_add(f, w, c->reg_id, c->reg_blob, c->reg_len) == 0) {
        char detail[FRAUD_WL_MAX + FRAUD_ID_MAX + 2];
        snprintf(detail, sizeof detail, "%s/%s", c->reg_wl, c->reg_id);
        store_audit(f->a->store, "fraudster_add", c->uuid, c->session_id[0] ? c->session_id : NULL,
                    detail, NULL, NULL);
        reg_end(c, 201);
    } else {
        log_write(LOG_WARN, c->uuid, NULL, NULL, 0, "fraudster not stored: %s",
                  err ? err : store_strerror(st));
        reg_end(c, 503);
    }
    fraud_call_release(c);
}

static void store_it(fcall *c)
{
    c->reg_storing = true;
    c->pending++;
    store_fraudster_put(c->f->a->store, c->reg_wl, c->reg_id, c->reg_blob, c->reg_len, on_stored,
                        c);
}

/* A registration's worker answer: its voiceprint (enrol), or the duplicate search (identify). */
void fraud_reg_result(fraud *f, fcall *c, const workers_result *r)
{
    c->reg_tag = 0;
    if (r->kind == WORKERS_IDENTIFY) {
        fgal *g = c->reg_gal;
        c->reg_gal = NULL;
        const char *id = r->status == BIO_OK && r->has_match ? fraud_gallery_id(g, r->match.index)
                                                              : NULL;
        if (c->reg_open && id && r->match.score >= f->match_threshold) {
            snprintf(c->reg_match, sizeof c->reg_match, "%s", id);
            c->reg_score = r->match.score;
            reg_end(c, 409);
        } else if (c->reg_open) {
            store_it(c);
        }
        fraud_gallery_drop(f, g);
        return;
    }
    if (!c->reg_open)
        return;
    c->reg_speech = r->speech_seconds;
    if (r->status != BIO_OK || !r->voiceprint_len) { /* not enough speech yet: next tick */
        if (r->status != BIO_ERR_SPEECH)
            log_write(LOG_WARN, c->uuid, NULL, NULL, 0, "fraudster enrolment failed: %s",
                      bio_strerror(r->status));
        return;
    }
    free(c->reg_blob);
    if (!(c->reg_blob = malloc(r->voiceprint_len))) {
        reg_end(c, 503);
        return;
    }
    memcpy(c->reg_blob, r->voiceprint, r->voiceprint_len);
    c->reg_len = r->voiceprint_len;
    /* The same voice on the list already? The stream's engine state answers at once. */
    fgal *g = fraud_gallery_take(fraud_watchlist(f, c->reg_wl));
    uint64_t wid = c->s ? live_stream_worker(f->a->live, c->s) : 0;
    uint64_t tag = FRAUD_TAG_BIT | ++f->next_tag;
    if (g && wid &&
        workers_identify(f->a->workers, wid, tag, c->reg_wl, fraud_gallery_engine(g), NULL) == 0) {
        c->reg_tag = tag;
        c->reg_gal = g;
        c->pending++;
        return;
    }
    fraud_gallery_drop(f, g);
    store_it(c); /* an empty list (or the call just ended): nothing to match */
}
