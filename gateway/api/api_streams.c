/* api_streams.c -- running streams: list, one stream's details, counts.
 *
 *   GET  /api/v2/streams           {"count","max","streams":[stream_json...]}
 *   GET  /api/v2/streams/count     {"running","max","http","maintenance","by_dialect",
 *                                   "by_kind","by_source"}
 *   GET  /api/v2/streams/{id}      one stream, found by uuid, streamSid, callSid or caller
 *   POST /api/v2/streams           the same lookup from a body {"uuid"|"streamSid"|"callSid"|
 *                                   "caller": "..."} (the Voice Verify manual's POST /streams),
 *                                   or a search by custom parameters {"key": "value", ...}
 *
 * The caller of a stream is its customParameters "caller" (what our TwiML examples and the
 * Connect forwarder send), else "From" / "from" (Twilio's own naming); the comparison is
 * exact. Each stream carries its live enrol/verify jobs ("jobs", live_stream_json). The
 * registry is walked on the loop thread: listing is O(streams), which is bounded
 * by max_streams.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "fraud/fraud.h"
#include "live/live.h"
#include "streams/stream_json.h"

static const char *const caller_keys[] = {"caller", "From", "from"};

static const char *stream_caller(const stream *s)
{
    for (size_t i = 0; i < sizeof caller_keys / sizeof *caller_keys; i++) {
        const char *v = stream_param(s, caller_keys[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

static stream *by_caller(const registry *r, const char *caller)
{
    stream *found = NULL;
    for (stream *s = registry_first(r); s; s = registry_next(s)) {
        const char *c = stream_caller(s);
        if (c && strcmp(c, caller) == 0 && (!found || s->started_ms >= found->started_ms))
            found = s;
    }
    return found;
}

static stream *lookup(const registry *r, const char *id)
{
    stream *s = registry_by_uuid(r, id);
    if (!s)
        s = registry_by_stream_sid(r, id);
    if (!s)
        s = registry_by_call_sid(r, id);
    if (!s)
        s = by_caller(r, id);
    return s;
}

static cJSON *describe(app *a, const stream *s)
{
    cJSON *o = stream_to_json(s, uv_now(a->loop));
    if (o) {
        cJSON_AddStringToObject(o, "kind", api_httpstream_is(s) ? "http" : "websocket");
        const char *c = stream_caller(s);
        if (c)
            cJSON_AddStringToObject(o, "caller", c);
        /* Live enrol/verify jobs on the stream (live.h), as "jobs". */
        cJSON *lj = a->live ? live_stream_json(a->live, s) : NULL;
        cJSON *jobs = lj ? cJSON_DetachItemFromObjectCaseSensitive(lj, "jobs") : NULL;
        cJSON_AddItemToObject(o, "jobs", jobs ? jobs : cJSON_CreateArray());
        cJSON_Delete(lj);
        cJSON *fr = fraud_stream_json(a->fraud, s); /* caller ID and risk (fraud.h) */
        if (fr)
            cJSON_AddItemToObject(o, "fraud", fr);
    }
    return o;
}

static void reply_stream(app *a, http_req *req, const stream *s, const char *id)
{
    if (!s) {
        char msg[400];
        snprintf(msg, sizeof msg, "no running stream with uuid, streamSid, callSid or caller "
                                  "\"%.256s\"", id);
        http_reply_error(req, 404, msg);
        return;
    }
    cJSON *o = describe(a, s);
    if (!o) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    api_send(req, 200, o);
}

static http_result h_list(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "streams");
    for (stream *s = registry_first(a->reg); s; s = registry_next(s))
        cJSON_AddItemToArray(arr, describe(a, s));
    cJSON_AddNumberToObject(o, "count", (double)registry_count(a->reg));
    cJSON_AddNumberToObject(o, "max", registry_max(a->reg));
    api_send(req, 200, o);
    return HTTP_DONE;
}

static http_result h_count(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "running", (double)registry_count(a->reg));
    cJSON_AddNumberToObject(o, "max", registry_max(a->reg));
    cJSON_AddNumberToObject(o, "http", (double)api_httpstream_count(a->api));
    cJSON_AddBoolToObject(o, "maintenance", registry_maintenance(a->reg));
    cJSON *dialect = cJSON_AddObjectToObject(o, "by_dialect");
    cJSON *kind = cJSON_AddObjectToObject(o, "by_kind");
    cJSON *source = cJSON_AddObjectToObject(o, "by_source");
    cJSON_AddNumberToObject(kind, "websocket", 0);
    cJSON_AddNumberToObject(kind, "http", 0);
    for (stream *s = registry_first(a->reg); s; s = registry_next(s)) {
        bool http = api_httpstream_is(s);
        api_json_bump(kind, http ? "http" : "websocket");
        if (!http)
            api_json_bump(dialect, stream_dialect_name(s->dialect));
        const char *src = stream_param(s, "source_uuid");
        api_json_bump(source, src && *src ? src : "none");
    }
    api_send(req, 200, o);
    return HTTP_DONE;
}

static http_result h_one(http_req *req, void *ud)
{
    app *a = ud;
    char id[API_EXTERNAL_ID_BYTES + 1];
    if (!api_auth_path_id(a, req, "stream id", id))
        return HTTP_DONE;
    reply_stream(a, req, lookup(a->reg, id), id);
    return HTTP_DONE;
}

/* True when every pair of `want` (string values) is one of the stream's custom parameters. */
static bool params_match(const stream *s, const cJSON *want)
{
    for (const cJSON *p = want->child; p; p = p->next) {
        const char *v = stream_param(s, p->string);
        if (!v || strcmp(v, p->valuestring) != 0)
            return false;
    }
    return true;
}

/* The Voice Verify manual's custom parameters "could be used for the searching of this
 * stream": {"key": "value", ...} or {"customParameters": {...}}, every pair must match; the
 * most recent such stream answers. */
static void find_by_params(app *a, http_req *req, const cJSON *body)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(body, "customParameters");
    if (!want)
        want = body;
    bool ok = cJSON_IsObject(want) && want->child;
    for (const cJSON *p = ok ? want->child : NULL; p && ok; p = p->next)
        ok = cJSON_IsString(p);
    if (!ok) {
        http_reply_error(req, 400, "give \"uuid\", \"streamSid\", \"callSid\", \"caller\", or "
                                   "custom parameters as \"key\": \"value\" strings");
        return;
    }
    stream *found = NULL;
    for (stream *s = registry_first(a->reg); s; s = registry_next(s))
        if (params_match(s, want) && (!found || s->started_ms >= found->started_ms))
            found = s;
    if (found) {
        reply_stream(a, req, found, NULL);
        return;
    }
    http_reply_error(req, 404, "no running stream has these custom parameters");
}

static http_result h_find(http_req *req, void *ud)
{
    static const char *const fields[] = {"uuid", "streamSid", "callSid", "caller"};
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    const char *id = NULL;
    stream *s = NULL;
    bool bad = false;
    for (size_t i = 0; i < 4 && !id && !bad; i++) {
        id = api_string(req, body, fields[i], API_EXTERNAL_ID_MAX, false, &bad);
        if (id)
            s = i == 0 ? registry_by_uuid(a->reg, id)
                : i == 1 ? registry_by_stream_sid(a->reg, id)
                : i == 2 ? registry_by_call_sid(a->reg, id)
                         : by_caller(a->reg, id);
    }
    if (!bad && !id)
        find_by_params(a, req, body);
    else if (!bad)
        reply_stream(a, req, s, id);
    cJSON_Delete(body);
    return HTTP_DONE;
}

void api_streams_register(app *a)
{
    api_route(a, "GET", API_PREFIX "/streams", h_list);
    api_route(a, "POST", API_PREFIX "/streams", h_find);
    api_route(a, "GET", API_PREFIX "/streams/count", h_count);
    api_route(a, "GET", API_PREFIX "/streams/*", h_one);
}
