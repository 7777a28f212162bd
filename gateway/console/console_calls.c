/* console_calls.c -- the console's view of the calls, and its health figures. See
 * console_int.h.
 *
 * Streams keep no history of their verdicts (a webhook receiver or the session in Redis
 * does); the console wants the score over time and the verdict changes. So while a console is
 * connected this module follows up to CONSOLE_CALLS_MAX calls: a fixed table of records, each
 * with a ring of scores and a short timeline, fed by the live controller's observer (every
 * state a job publishes) and kept CONSOLE_ENDED_KEEP_MS after the call ends, so the final
 * verdict stays on screen (unless a new call needs the record: running calls come first). A
 * console that connects mid-call sees the history from then on.
 * Without a console nothing is followed: the observer returns at once, the table is empty,
 * and the calls pay nothing.
 *
 * The health figures are GET /api/v2/status's object (the modules' own counters, which
 * /metrics reads too) with /readyz's answer and the verdict latency: the workers'
 * request-to-answer histogram over the last one to two minutes (two baselines, swapped every
 * CONSOLE_LATENCY_WINDOW_MS).
 */
#include <uv.h>

#include "console/console_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "live/live.h"
#include "common/log.h"
#include "common/time.h"
#include "core/metrics.h"

#define TEXT_MAX 24

typedef struct {
    float t, score; /* seconds since the call started; 0-100 */
} cpoint;

typedef struct {
    float t, score;
    int status;
    live_kind kind;
    char what[TEXT_MAX];
} cevent;

/* One webhook subscription of a call: copied from the subscription table while the call runs,
 * outcomes counted as the webhook engine reports them (also after the call ended). */
typedef struct {
    char id[SUBS_ID_LEN + 1];
    sub_type type;
    bool implicit;
    uint64_t sent, refused, delivered, failed;
    long last_status;
    char last_error[64];
} chook;

typedef struct {
    bool used;
    char uuid[STREAM_UUID_LEN + 1];
    uint64_t start_ms, end_ms; /* loop time; end 0 while the call runs */
    int64_t start_wall_ms;
    cpoint pts[CONSOLE_POINTS];
    size_t n_pts, pts_head; /* a ring: the oldest is at pts_head once full */
    cevent tl[CONSOLE_TIMELINE];
    size_t n_tl; /* full: the oldest entries make room */
    char last[2][TEXT_MAX]; /* per kind, the latest timeline entry */
    chook hooks[CONSOLE_SUBS];
    size_t n_hooks;
    cJSON *info; /* the stream's part, refreshed each tick while it runs */
} ccall;

struct ccalls {
    app *a;
    bool active;
    ccall calls[CONSOLE_CALLS_MAX];
    lathist base[2]; /* request latency at the last two window starts */
    uint64_t base_ms;
    bool base_set;
};

ccalls *ccalls_new(app *a)
{
    ccalls *t = calloc(1, sizeof *t);
    if (t)
        t->a = a;
    return t;
}

static void call_free(ccall *c)
{
    cJSON_Delete(c->info);
    memset(c, 0, sizeof *c);
}

void ccalls_clear(ccalls *t)
{
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++)
        if (t->calls[i].used)
            call_free(&t->calls[i]);
    t->active = false;
    t->base_set = false;
}

void ccalls_free(ccalls *t)
{
    if (!t)
        return;
    ccalls_clear(t);
    free(t);
}

static ccall *find(ccalls *t, const char *uuid)
{
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++)
        if (t->calls[i].used && strcmp(t->calls[i].uuid, uuid) == 0)
            return &t->calls[i];
    return NULL;
}

/* ---- the observer ---- */

static const char *state_text(const live_state *st)
{
    static const char *const enrol[] = {"collecting_speech", "created", "exists"};
    if (st->status == LIVE_ST_NO_VOICEPRINT)
        return "no_voiceprint";
    if (st->status == LIVE_ST_UNUSABLE)
        return "voiceprint_unusable";
    if (st->status >= 500)
        return "unavailable";
    if (st->kind == LIVE_VERIFY)
        return live_verdict_name(st->result);
    return st->detail <= WHP_ENROLL_EXISTS ? enrol[st->detail] : "unknown";
}

static void add_point(ccall *c, float t, float score)
{
    if (c->n_pts < CONSOLE_POINTS) {
        c->pts[c->n_pts++] = (cpoint){t, score};
        return;
    }
    c->pts[c->pts_head] = (cpoint){t, score};
    c->pts_head = (c->pts_head + 1) % CONSOLE_POINTS;
}

static void add_event(ccall *c, const live_state *st, float t)
{
    const char *what = state_text(st);
    char *last = c->last[st->kind == LIVE_VERIFY];
    if (strcmp(last, what) == 0)
        return;
    snprintf(last, TEXT_MAX, "%s", what);
    if (c->n_tl == CONSOLE_TIMELINE) {
        memmove(&c->tl[0], &c->tl[1], (CONSOLE_TIMELINE - 1) * sizeof c->tl[0]);
        c->n_tl--;
    }
    cevent *e = &c->tl[c->n_tl++];
    *e = (cevent){.t = t, .score = (float)st->score, .status = st->status, .kind = st->kind};
    snprintf(e->what, sizeof e->what, "%s", what);
}

void ccalls_on_state(const live_state *st, void *arg)
{
    ccalls *t = arg;
    ccall *c = t->active ? find(t, st->stream_uuid) : NULL;
    if (!c)
        return;
    float secs = (float)(uv_now(t->a->loop) - c->start_ms) / 1000.0f;
    if (st->kind == LIVE_VERIFY && st->status == LIVE_ST_VERDICT)
        add_point(c, secs, (float)st->score);
    add_event(c, st, secs);
}

/* ---- following streams ---- */

static chook *hook_of(ccall *c, const char *id)
{
    for (size_t i = 0; i < c->n_hooks; i++)
        if (strcmp(c->hooks[i].id, id) == 0)
            return &c->hooks[i];
    return NULL;
}

/* The call's webhook subscriptions (its enroll/verify jobs'): the first CONSOLE_SUBS. */
static void take_webhooks(ccalls *t, ccall *c, const stream *s)
{
    subs *tab = t->a->live ? live_subs(t->a->live) : NULL;
    for (sub *x = tab ? subs_channel_first(tab, s->uuid) : NULL; x; x = subs_channel_next(x)) {
        chook *h = hook_of(c, x->id);
        if (!h && c->n_hooks == CONSOLE_SUBS)
            continue;
        if (!h) {
            h = &c->hooks[c->n_hooks++];
            snprintf(h->id, sizeof h->id, "%s", x->id);
        }
        h->type = x->type;
        h->implicit = x->implicit;
        h->sent = x->sent;
        h->refused = x->refused;
    }
}

void ccalls_on_webhook(ccalls *t, const webhook_result *r)
{
    for (size_t i = 0; t->active && r->key && i < CONSOLE_CALLS_MAX; i++) {
        chook *h = t->calls[i].used ? hook_of(&t->calls[i], r->key) : NULL;
        if (!h)
            continue;
        h->delivered += r->delivered;
        h->failed += !r->delivered;
        h->last_status = r->status;
        snprintf(h->last_error, sizeof h->last_error, "%s", r->error ? r->error : "");
        return;
    }
}

/* mode, external_id, net speech and enrolment progress from the jobs (live_stream_json). */
static void add_jobs(ccalls *t, cJSON *info, const stream *s)
{
    cJSON *jobs = t->a->live ? live_stream_json(t->a->live, s) : NULL;
    cJSON *arr = jobs ? cJSON_DetachItemFromObject(jobs, "jobs") : NULL;
    cJSON_Delete(jobs);
    if (!arr)
        arr = cJSON_CreateArray();
    bool enrol = false, verify = false;
    double speech = 0;
    const char *ext = NULL;
    const cJSON *j;
    cJSON_ArrayForEach(j, arr) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(j, "type"));
        double sp = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "speech_length"));
        enrol |= type && strcmp(type, "enroll") == 0;
        verify |= type && strcmp(type, "verify") == 0;
        speech = sp > speech ? sp : speech;
        if (!ext)
            ext = cJSON_GetStringValue(cJSON_GetObjectItem(j, "external_id"));
    }
    cJSON_AddStringToObject(info, "mode", enrol && verify ? "enroll+verify"
                                          : enrol         ? "enroll"
                                          : verify        ? "verify"
                                                          : "listen");
    if (ext)
        cJSON_AddStringToObject(info, "external_id", ext);
    cJSON_AddNumberToObject(info, "speech_s", speech);
    cJSON_AddNumberToObject(info, "enroll_need_s", t->a->bio.min_enroll_speech);
    cJSON_AddNumberToObject(info, "verify_need_s", t->a->bio.min_verify_speech);
    cJSON_AddItemToObject(info, "jobs", arr);
}

static cJSON *stream_info(ccalls *t, const ccall *c, const stream *s)
{
    cJSON *info = cJSON_CreateObject();
    if (!info)
        return NULL;
    cJSON_AddStringToObject(info, "uuid", s->uuid);
    cJSON_AddStringToObject(info, "dialect", stream_dialect_name(s->dialect));
    const char *raw = stream_param(s, "caller");
    if (!raw)
        raw = stream_param(s, "From");
    char masked[64];
    if (raw)
        cJSON_AddStringToObject(info, "caller", log_mask_number(raw, masked, sizeof masked));
    else
        cJSON_AddNullToObject(info, "caller");
    char when[32];
    time_rfc3339(c->start_wall_ms, when);
    cJSON_AddStringToObject(info, "started", when);
    cJSON_AddNumberToObject(info, "audio_s", stream_seconds(s, TW_TRACK_INBOUND));
    add_jobs(t, info, s);
    return info;
}

/* Follow s in a free record (the caller knows there is one). */
static void follow(ccalls *t, const stream *s, uint64_t now_ms)
{
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++) {
        ccall *c = &t->calls[i];
        if (c->used)
            continue;
        c->used = true;
        snprintf(c->uuid, sizeof c->uuid, "%s", s->uuid);
        c->start_ms = s->started_ms;
        c->start_wall_ms = time_now_ms() - (int64_t)(now_ms - s->started_ms);
        take_webhooks(t, c, s);
        c->info = stream_info(t, c, s);
        return;
    }
}

/* Records a new call may take: free ones, and ended ones (a running call matters more). */
static size_t free_slots(const ccalls *t)
{
    size_t n = 0;
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++)
        n += !t->calls[i].used || t->calls[i].end_ms;
    return n;
}

/* Make sure a record is free: when none is, the call that ended first gives its up. */
static void make_room(ccalls *t)
{
    ccall *oldest = NULL;
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++) {
        ccall *c = &t->calls[i];
        if (!c->used)
            return;
        if (c->end_ms && (!oldest || c->end_ms < oldest->end_ms))
            oldest = c;
    }
    if (oldest)
        call_free(oldest);
}

void ccalls_refresh(ccalls *t, uint64_t now_ms)
{
    t->active = true;
    registry *reg = t->a->reg;
    for (size_t i = 0; i < CONSOLE_CALLS_MAX; i++) {
        ccall *c = &t->calls[i];
        if (!c->used)
            continue;
        stream *s = c->end_ms ? NULL : registry_by_uuid(reg, c->uuid);
        if (s) {
            take_webhooks(t, c, s);
            cJSON *info = stream_info(t, c, s);
            if (info) {
                cJSON_Delete(c->info);
                c->info = info;
            }
        } else if (!c->end_ms) {
            c->end_ms = now_ms;
        } else if (now_ms - c->end_ms > CONSOLE_ENDED_KEEP_MS) {
            call_free(c);
        }
    }
    size_t room = free_slots(t);
    for (stream *s = room ? registry_first(reg) : NULL; s && room; s = registry_next(s))
        if (!find(t, s->uuid)) {
            make_room(t);
            follow(t, s, now_ms);
            room--;
        }
}

/* ---- rendering ---- */

static cJSON *points_json(const ccall *c)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < c->n_pts; k++) {
        const cpoint *p = &c->pts[(c->pts_head + k) % CONSOLE_POINTS];
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)(int)(p->t * 10) / 10.0));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)(int)(p->score * 10) / 10.0));
        cJSON_AddItemToArray(arr, pt);
    }
    return arr;
}

static cJSON *webhooks_json(const ccall *c)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < c->n_hooks; k++) {
        const chook *h = &c->hooks[k];
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "type", subs_type_name(h->type));
        cJSON_AddBoolToObject(w, "implicit", h->implicit);
        /* The table's count stops with the call; its last webhooks still get an outcome. */
        uint64_t done = h->delivered + h->failed;
        cJSON_AddNumberToObject(w, "sent", (double)(h->sent > done ? h->sent : done));
        cJSON_AddNumberToObject(w, "refused", (double)h->refused);
        cJSON_AddNumberToObject(w, "delivered", (double)h->delivered);
        cJSON_AddNumberToObject(w, "failed", (double)h->failed);
        if (h->delivered + h->failed) {
            cJSON_AddNumberToObject(w, "last_status", (double)h->last_status);
            cJSON_AddStringToObject(w, "last_error", h->last_error);
        }
        cJSON_AddItemToArray(arr, w);
    }
    return arr;
}

static cJSON *timeline_json(const ccall *c)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < c->n_tl; k++) {
        const cevent *e = &c->tl[k];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "t", (double)(int)(e->t * 10) / 10.0);
        cJSON_AddStringToObject(x, "type", live_kind_name(e->kind));
        cJSON_AddStringToObject(x, "what", e->what);
        cJSON_AddNumberToObject(x, "status", e->status);
        if (e->kind == LIVE_VERIFY && e->status == LIVE_ST_VERDICT)
            cJSON_AddNumberToObject(x, "score", (double)(int)(e->score * 10) / 10.0);
        cJSON_AddItemToArray(arr, x);
    }
    return arr;
}

void ccalls_render(ccalls *t, cJSON *root, uint64_t now_ms)
{
    cJSON_AddNumberToObject(root, "calls_total", (double)registry_count(t->a->reg));
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON_AddNumberToObject(th, "verified", t->a->bio.thr_verified);
    cJSON_AddNumberToObject(th, "not_sure", t->a->bio.thr_not_sure);
    cJSON *arr = cJSON_AddArrayToObject(root, "calls");
    for (size_t i = 0; arr && i < CONSOLE_CALLS_MAX; i++) {
        const ccall *c = &t->calls[i];
        cJSON *x = c->used && c->info ? cJSON_Duplicate(c->info, true) : NULL;
        if (!x)
            continue;
        uint64_t end = c->end_ms ? c->end_ms : now_ms;
        cJSON_AddBoolToObject(x, "ended", c->end_ms != 0);
        cJSON_AddNumberToObject(x, "duration_s", (double)((end - c->start_ms) / 100) / 10.0);
        cJSON_AddItemToObject(x, "scores", points_json(c));
        cJSON_AddItemToObject(x, "timeline", timeline_json(c));
        cJSON_AddItemToObject(x, "webhooks", webhooks_json(c));
        cJSON_AddItemToArray(arr, x);
    }
}

/* ---- health ---- */

/* p50/p99 of the verdict requests answered since the older of two baselines. */
static void add_latency(ccalls *t, cJSON *h, uint64_t now_ms)
{
    static lathist cur, win; /* loop thread only; 10 KB kept off the stack */
    lathist_init(&cur);
    if (t->a->workers)
        workers_get_latency(t->a->workers, NULL, &cur);
    if (!t->base_set || now_ms - t->base_ms >= CONSOLE_LATENCY_WINDOW_MS) {
        lathist_init(&t->base[0]);
        lathist_merge(&t->base[0], t->base_set ? &t->base[1] : &cur);
        lathist_init(&t->base[1]);
        lathist_merge(&t->base[1], &cur);
        t->base_ms = now_ms;
        t->base_set = true;
    }
    lathist_diff(&win, &cur, &t->base[0]);
    cJSON *l = cJSON_AddObjectToObject(h, "verdict_latency_ms");
    cJSON_AddNumberToObject(l, "count", (double)lathist_count(&win));
    cJSON_AddNumberToObject(l, "p50", (double)lathist_percentile(&win, 50) / 1000.0);
    cJSON_AddNumberToObject(l, "p99", (double)lathist_percentile(&win, 99) / 1000.0);
    cJSON_AddNumberToObject(l, "all_time_count", (double)lathist_count(&cur));
}

void ccalls_health(ccalls *t, cJSON *root, uint64_t now_ms)
{
    cJSON *h = api_status_json(t->a);
    if (!h)
        return;
    const char *why = metrics_not_ready(t->a);
    cJSON_AddBoolToObject(h, "ready", why == NULL);
    if (why)
        cJSON_AddStringToObject(h, "not_ready", why);
    add_latency(t, h, now_ms);
    cJSON_AddItemToObject(root, "health", h);
}
