/* live_webhooks.c -- the webhooks to subscribers, an observer of the controller. See
 * live_webhooks.h.
 *
 * A body is built once per report, and only when a subscription wants it: most jobs of a busy
 * gateway have none (REST polling, zero-integration without a webhook).
 */
#include "live/live_webhooks.h"

#include <stdlib.h>
#include <string.h>

struct live_webhooks {
    live *l;
    webhook *w;
    live_webhooks_stats st;
};

/* The job's webhook body for a channel (NULL on out of memory). */
static char *job_body(live *l, const live_state *st)
{
    const char *uuid = st->stream_uuid;
    whp_spoof sp = {.score = st->spoof_score, .result = bio_spoof_verdict_name(st->spoof)};
    const whp_spoof *spp = st->spoof_scored ? &sp : NULL;
    if (st->kind == LIVE_ENROLL)
        return whp_enroll_spoof(uuid, st->status, uuid, st->external_id,
                                whp_enroll_detail_text(st->detail), st->speech_seconds, spp);
    cJSON *extra = cJSON_CreateObject(); /* the decorators' members (none: an empty object) */
    live_decorate(l, st, extra);
    const char *result = whp_verify_result_text(live_verdict_webhook(st->result));
    char *b = whp_verify_spoof_ext(uuid, st->status, uuid, st->external_id, result,
                                   st->speech_seconds, st->score, spp, extra);
    cJSON_Delete(extra);
    return b;
}

static void send_to(live_webhooks *h, sub *s, const char *body)
{
    if (webhook_send_keyed(h->w, s->url, s->secret, s->id, body, strlen(body)) == 0) {
        s->sent++;
        h->st.sent++;
    } else {
        s->refused++;
        h->st.refused++;
    }
}

/* One webhook per enroll/verify subscription of this job. */
static void on_report(const live_state *st, void *arg)
{
    live_webhooks *h = arg;
    sub_type type = st->kind == LIVE_ENROLL ? SUB_ENROLL : SUB_VERIFY;
    char *body = NULL;
    for (sub *s = subs_channel_first(live_subs(h->l), st->stream_uuid); s;
         s = subs_channel_next(s)) {
        if (s->type != type || strcmp(s->external_id, st->external_id) != 0)
            continue;
        if (!body && !(body = job_body(h->l, st)))
            return;
        send_to(h, s, body);
    }
    free(body);
}

/* "added"/"removed" to the `streams` subscriptions of the stream's source_uuid. */
static void on_stream(const stream *s, bool added, int status, void *arg)
{
    live_webhooks *h = arg;
    const char *source = stream_param(s, "source_uuid");
    if (!source || !*source)
        return;
    whp_stream_action action = added ? WHP_STREAM_ADDED : WHP_STREAM_REMOVED;
    char *body = NULL;
    for (sub *x = subs_channel_first(live_subs(h->l), source); x; x = subs_channel_next(x)) {
        if (x->type != SUB_STREAMS)
            continue;
        if (!body && !(body = whp_stream(source, status, whp_stream_action_name(action), s->uuid)))
            return;
        send_to(h, x, body);
    }
    free(body);
}

live_webhooks *live_webhooks_new(live *l, webhook *w)
{
    live_webhooks *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->l = l;
    h->w = w;
    live_observer_ops ops = {.on_report = on_report, .on_stream = on_stream};
    if (live_observe(l, &ops, h) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void live_webhooks_get_stats(const live_webhooks *h, live_webhooks_stats *out)
{
    *out = h ? h->st : (live_webhooks_stats){0};
}

void live_webhooks_free(live_webhooks *h) { free(h); }
