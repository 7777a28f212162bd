/* api_live.c -- REST for live biometrics: enrol / verify on a stream, and subscriptions.
 *
 *   POST   /api/v2/stream/{id}/enroll   {"external_id"}  -> {stream_uuid, external_id, detail,
 *                                                            speech_length, status}
 *   POST   /api/v2/stream/{id}/verify   {"external_id", "min_speech"?}
 *                                        -> {stream_uuid, external_id, result, score,
 *                                            speech_length, status, detail}
 *   POST   /api/v2/subscription          the Voice Verify manual's body (+ "secret") -> 201
 *   DELETE /api/v2/subscription          the same body, or {"id"}; or /api/v2/subscription/{id}
 *   GET    /api/v2/subscription          every subscription (secrets never shown)
 *
 * {id} is a stream uuid, streamSid or callSid. Enrol/verify start the job if needed and
 * answer with its state once the worker / Redis answer in flight arrives (live_poll; polls
 * are coalesced, see live.h). REST wording: enrol detail "not enough net speech yet",
 * "created", "already exists"; verify result "verified", "not_sure", "not_verified",
 * "insufficient_speech", or -- with HTTP 404 -- the manual's "voiceprint with external_id does
 * not exist". "status" is the webhook status code of the same state (live.h), and verify's
 * "detail" the webhook's wording.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/app.h"
#include "live/live.h"
#include "common/log.h"

#define SUB_PATH API_PREFIX "/subscription"

/* ---------- enrol / verify ---------- */

typedef struct {
    http_req *req;
    bool *replied; /* set while live_poll runs: an answer during the call is synchronous */
    live *live;    /* for the decorators (risk, caller ID) */
    char uuid[STREAM_UUID_LEN + 1];
} poll_ctx;

static const char *rest_detail(whp_enroll_detail d)
{
    return d == WHP_ENROLL_CREATED   ? "created"
           : d == WHP_ENROLL_EXISTS  ? "already exists"
           : d == WHP_ENROLL_SPOOFED ? "refused: the audio was judged spoofed"
           : d == WHP_ENROLL_OPTED_OUT ? "refused: the speaker opted out"
                                     : "not enough net speech yet";
}

/* The verify result in the webhook wording: the REST answers' "detail" (and "error"). */
static const char *rest_detail_of(const live_state *st)
{
    return whp_verify_result_text(live_verdict_webhook(st->result));
}

static void on_state(const live_state *st, void *arg)
{
    poll_ctx *c = arg;
    cJSON *o = cJSON_CreateObject();
    int http = 200;
    cJSON_AddStringToObject(o, "stream_uuid", c->uuid);
    cJSON_AddStringToObject(o, "external_id", st->external_id);
    if (st->kind == LIVE_ENROLL) {
        cJSON_AddStringToObject(o, "detail", rest_detail(st->detail));
    } else {
        if (st->result == LIVE_VERDICT_NO_VOICEPRINT) {
            http = 404;
            cJSON_AddStringToObject(o, "error", rest_detail_of(st));
        }
        cJSON_AddStringToObject(o, "result", live_verdict_rest(st->result));
        cJSON_AddNumberToObject(o, "score", st->score);
    }
    cJSON_AddNumberToObject(o, "speech_length", st->speech_seconds);
    if (st->spoof_scored) {
        cJSON_AddNumberToObject(o, "spoof_score", round(st->spoof_score * 100) / 100);
        cJSON_AddStringToObject(o, "spoof", bio_spoof_verdict_name(st->spoof));
    }
    cJSON_AddNumberToObject(o, "status", st->status);
    if (st->kind == LIVE_VERIFY)
        cJSON_AddStringToObject(o, "detail", rest_detail_of(st));
    live_decorate(c->live, st, o);
    api_send(c->req, http, o);
    if (c->replied)
        *c->replied = true;
    free(c);
}

/* A live stream by uuid, streamSid or callSid. */
static stream *find_stream(app *a, const char *id)
{
    stream *s = registry_by_uuid(a->reg, id);
    if (!s)
        s = registry_by_stream_sid(a->reg, id);
    if (!s)
        s = registry_by_call_sid(a->reg, id);
    return s;
}

/* The job errors as HTTP. */
static void job_error(http_req *req, live_err e)
{
    switch (e) {
    case LIVE_UNAVAILABLE:
        http_reply_error(req, 503, "biometrics unavailable");
        break;
    case LIVE_TOO_MANY_JOBS:
        http_reply_error(req, 429, "too many enrol/verify jobs on this stream");
        break;
    case LIVE_INVALID:
        http_reply_error(req, 400, "\"external_id\" must be 1-256 characters without control "
                                   "characters");
        break;
    default:
        http_reply_error(req, 500, "out of memory");
    }
}

/* verify's optional "min_speech" (seconds of net speech for this job, live.h); replies 400
 * (or the job error) and returns false when it is unusable. */
static bool min_speech_ok(app *a, http_req *req, const cJSON *body, live_kind kind, stream *s,
                          const char *ext)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "min_speech");
    if (!v)
        return true;
    if (kind != LIVE_VERIFY) {
        http_reply_error(req, 400, "\"min_speech\" applies to verify only");
        return false;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= LIVE_MIN_SPEECH_LO &&
                                v->valuedouble <= LIVE_MIN_SPEECH_HI)) {
        http_reply_error(req, 400, "\"min_speech\" must be a number of seconds from 0.5 to 3600");
        return false;
    }
    live_err e = live_job_min_speech(a->live, s, ext, LIVE_BY_API, v->valuedouble);
    if (e != LIVE_OK)
        job_error(req, e);
    return e == LIVE_OK;
}

/* "<id>/enroll" or "<id>/verify" after the prefix. */
static http_result stream_job(http_req *req, void *ud)
{
    app *a = ud;
    const char *rest = http_req_path_rest(req);
    const char *slash = strrchr(rest, '/');
    live_kind kind;
    if (slash && strcmp(slash, "/enroll") == 0)
        kind = LIVE_ENROLL;
    else if (slash && strcmp(slash, "/verify") == 0)
        kind = LIVE_VERIFY;
    else {
        http_reply_error(req, 404, "not found");
        return HTTP_DONE;
    }
    if (!api_auth(a, req))
        return HTTP_DONE;
    char id[TW_SID_MAX + STREAM_UUID_LEN];
    size_t n = (size_t)(slash - rest);
    if (n == 0 || n >= sizeof id || memchr(rest, '/', n)) {
        http_reply_error(req, 404, "stream not found");
        return HTTP_DONE;
    }
    memcpy(id, rest, n);
    id[n] = '\0';
    cJSON *body = api_json_body(req);
    if (!body)
        return HTTP_DONE;
    bool bad;
    const char *ext = api_external_id(req, body, "external_id", true, &bad);
    http_result res = HTTP_DONE;
    stream *s = NULL;
    if (bad) {
        /* replied */
    } else if (!live_external_id_ok(ext)) {
        job_error(req, LIVE_INVALID);
    } else if (!(s = find_stream(a, id))) {
        http_reply_error(req, 404, "stream not found");
    } else if (!live_available(a->live)) {
        job_error(req, LIVE_UNAVAILABLE);
    } else if (!min_speech_ok(a, req, body, kind, s, ext)) {
        /* replied */
    } else {
        bool replied = false;
        poll_ctx *c = calloc(1, sizeof *c);
        if (c) {
            c->req = req;
            c->replied = &replied;
            c->live = a->live;
            snprintf(c->uuid, sizeof c->uuid, "%s", s->uuid);
        }
        live_err e = c ? live_poll(a->live, s, kind, ext, on_state, c) : LIVE_NOMEM;
        if (e != LIVE_OK) {
            free(c);
            job_error(req, e);
        } else if (!replied) {
            c->replied = NULL; /* the answer comes later, from a worker or Redis callback */
            res = HTTP_DEFERRED;
        }
    }
    cJSON_Delete(body);
    return res;
}

/* ---------- subscriptions ---------- */

/* The subscription named by a body: type, channel_uuid, info.external_id, webhook. Replies
 * 400 and returns false on bad fields. url_required: creation. */
typedef struct {
    sub_type type;
    const char *channel, *external_id, *url, *secret;
} sub_spec;

static bool parse_spec(http_req *req, const cJSON *body, bool url_required, sub_spec *sp)
{
    bool bad;
    const char *type = api_string(req, body, "type", 16, true, &bad);
    if (bad)
        return false;
    int t = subs_type_parse(type);
    if (t < 0) {
        http_reply_error(req, 400, "\"type\" must be \"streams\", \"enroll\" or \"verify\"");
        return false;
    }
    sp->type = (sub_type)t;
    sp->channel = api_string(req, body, "channel_uuid", SUBS_CHANNEL_MAX, true, &bad);
    if (bad)
        return false;
    sp->url = api_string(req, body, "webhook", SUBS_URL_MAX, url_required, &bad);
    if (bad)
        return false;
    const char *why = sp->url ? subs_check_url(sp->url) : NULL;
    if (why) {
        http_reply_error(req, 400, why);
        return false;
    }
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(body, "info");
    if (info && !cJSON_IsNull(info) && !cJSON_IsObject(info)) {
        http_reply_error(req, 400, "\"info\" must be an object");
        return false;
    }
    sp->external_id = NULL;
    if (sp->type != SUB_STREAMS) {
        const cJSON *e = info ? cJSON_GetObjectItemCaseSensitive(info, "external_id") : NULL;
        if (!cJSON_IsString(e) || !live_external_id_ok(e->valuestring)) {
            http_reply_error(req, 400, "\"info.external_id\" is required for enroll and verify: "
                                       "1-256 characters without control characters");
            return false;
        }
        sp->external_id = e->valuestring;
    }
    sp->secret = api_string(req, body, "secret", SUBS_SECRET_MAX, false, &bad);
    if (bad)
        return false;
    if (sp->secret && strlen(sp->secret) < SUBS_SECRET_MIN) {
        http_reply_error(req, 400, "\"secret\" must be at least 16 characters");
        return false;
    }
    return true;
}

static http_result sub_create(http_req *req, void *ud)
{
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    sub_spec sp;
    if (!parse_spec(req, body, true, &sp))
        goto done;
    if (sp.type != SUB_STREAMS) {
        stream *s = registry_by_uuid(a->reg, sp.channel);
        if (!s) {
            http_reply_error(req, 404, "stream not found (channel_uuid must be a live stream's "
                                       "uuid)");
            goto done;
        }
        live_err e = live_job_start(a->live, s, sp.type == SUB_ENROLL ? LIVE_ENROLL : LIVE_VERIFY,
                                    sp.external_id, LIVE_BY_SUBSCRIPTION);
        if (e != LIVE_OK) {
            job_error(req, e);
            goto done;
        }
    }
    sub *x;
    subs *t = live_subs(a->live);
    subs_status st = subs_add(t, sp.type, sp.channel, sp.external_id, sp.url, sp.secret, false,
                              (uint64_t)time(NULL) * 1000, &x);
    if (st == SUBS_DUPLICATE) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", "this subscription already exists");
        cJSON_AddStringToObject(o, "id", x->id);
        api_send(req, 409, o);
    } else if (st == SUBS_FULL) {
        char msg[96];
        snprintf(msg, sizeof msg, "too many subscriptions (max %zu)", subs_max(t));
        http_reply_error(req, 429, msg);
    } else if (st != SUBS_OK) {
        http_reply_error(req, 500, "out of memory");
    } else {
        cJSON *o = subs_to_json(x);
        /* The secret is shown once, here; only when we generated it. */
        if (o && !sp.secret)
            cJSON_AddStringToObject(o, "secret", x->secret);
        log_write(LOG_INFO, sp.type == SUB_STREAMS ? NULL : sp.channel, NULL, NULL, 0,
                  "subscription %s created (%s)", x->id, subs_type_name(sp.type));
        api_send(req, 201, o);
    }
done:
    cJSON_Delete(body);
    return HTTP_DONE;
}

static void reply_deleted(http_req *req, size_t n)
{
    if (!n) {
        http_reply_error(req, 404, "no such subscription");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "deleted", (double)n);
    api_send(req, 200, o);
}

static size_t delete_id(subs *t, const char *id)
{
    sub *x = subs_by_id(t, id);
    if (!x)
        return 0;
    subs_remove(t, x);
    return 1;
}

static http_result sub_delete(http_req *req, void *ud)
{
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    subs *t = live_subs(a->live);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    sub_spec sp;
    if (id && !cJSON_IsString(id))
        http_reply_error(req, 400, "\"id\" must be a string");
    else if (id)
        reply_deleted(req, delete_id(t, id->valuestring));
    else if (parse_spec(req, body, false, &sp))
        reply_deleted(req, subs_remove_match(t, sp.type, sp.channel, sp.external_id, sp.url));
    cJSON_Delete(body);
    return HTTP_DONE;
}

static http_result sub_delete_id(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    reply_deleted(req, delete_id(live_subs(a->live), http_req_path_rest(req)));
    return HTTP_DONE;
}

static http_result sub_list(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    subs *t = live_subs(a->live);
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "subscriptions");
    for (sub *x = subs_first(t); arr && x; x = x->next)
        cJSON_AddItemToArray(arr, subs_to_json(x));
    cJSON_AddNumberToObject(o, "count", (double)subs_count(t));
    cJSON_AddNumberToObject(o, "max", (double)subs_max(t));
    api_send(req, 200, o);
    return HTTP_DONE;
}

void api_live_register(struct app *a)
{
    http_route(a->router, "POST", API_PREFIX "/stream/*", stream_job, a);
    http_route(a->router, "POST", SUB_PATH, sub_create, a);
    http_route(a->router, "DELETE", SUB_PATH, sub_delete, a);
    http_route(a->router, "GET", SUB_PATH, sub_list, a);
    http_route(a->router, "DELETE", SUB_PATH "/*", sub_delete_id, a);
}
