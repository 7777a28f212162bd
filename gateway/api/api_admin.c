/* api_admin.c -- status, maintenance and the API's own description.
 *
 *   GET  /api/v2/status                   streams, HTTP streams, maintenance, model, workers,
 *                                         Redis, webhooks, live jobs, uptime (one JSON object)
 *   POST /api/v2/maintenance/lock         new streams get 423 (WebSocket and HTTP alike)
 *   POST /api/v2/maintenance/unlock
 *   POST /api/v2/maintenance/force_off    end every running stream (STREAM_END_FORCED)
 *   GET  /api/v2/openapi.json             schemas/openapi.json (no token needed)
 *   GET  /api/v2/admin/webhook-secret     the generated zero-integration webhook secret
 *
 * The OpenAPI document is read once at start from the schemas_dir setting (default:
 * share/callprint/schemas beside the program's bin/, common/paths.h); a missing file
 * is logged and the route answers 503. Force-off does not lock: the Voice Verify manual's
 * backup procedure is lock, force_off, import, unlock, and a force-off alone lets new calls
 * start at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "live/live.h"
#include "live/live_webhooks.h"
#include "common/log.h"
#include "http/wsecret.h"

#define OPENAPI_MAX (4 << 20)

static void load_openapi(app *a)
{
    char path[CONFIG_STR_MAX + 32];
    snprintf(path, sizeof path, "%s/openapi.json", a->cfg->schemas_dir);
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(OPENAPI_MAX) : NULL;
    size_t n = buf ? fread(buf, 1, OPENAPI_MAX, f) : 0;
    if (f)
        fclose(f);
    if (!buf || n == 0 || n == OPENAPI_MAX) {
        log_warn("%s could not be read: GET /api/v2/openapi.json will answer 503", path);
        free(buf);
        return;
    }
    a->api->openapi = buf;
    a->api->openapi_len = n;
}

static http_result h_openapi(http_req *req, void *ud)
{
    app *a = ud;
    if (!a->api->openapi)
        http_reply_error(req, 503, "the OpenAPI document was not found (schemas_dir)");
    else
        http_reply(req, 200, "application/json", a->api->openapi, a->api->openapi_len);
    return HTTP_DONE;
}

static cJSON *model_json(const app *a)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddBoolToObject(m, "loaded", a->model != NULL);
    cJSON_AddStringToObject(m, "engine", a->engine ? a->engine->name : "");
    cJSON_AddStringToObject(m, "file", a->cfg->model);
    if (!a->model) {
        cJSON_AddStringToObject(m, "error", a->model_error);
        return m;
    }
    cJSON_AddNumberToObject(m, "thr_verified", a->bio.thr_verified);
    cJSON_AddNumberToObject(m, "thr_not_sure", a->bio.thr_not_sure);
    cJSON_AddNumberToObject(m, "min_enroll_speech", a->bio.min_enroll_speech);
    cJSON_AddNumberToObject(m, "min_verify_speech", a->bio.min_verify_speech);
    return m;
}

static cJSON *workers_json(app *a)
{
    cJSON *arr = cJSON_CreateArray();
    int n = a->workers ? workers_count(a->workers) : 0;
    for (int i = 0; i < n; i++) {
        workers_stats st;
        workers_get_stats(a->workers, i, &st);
        cJSON *w = cJSON_CreateObject();
        cJSON_AddNumberToObject(w, "queue_depth", (double)st.depth);
        cJSON_AddNumberToObject(w, "queue_max_depth", (double)st.max_depth);
        cJSON_AddNumberToObject(w, "queue_len", a->cfg->worker_queue_len);
        cJSON_AddNumberToObject(w, "streams", (double)st.streams);
        cJSON_AddNumberToObject(w, "dropped", (double)st.dropped);
        cJSON_AddNumberToObject(w, "refused", (double)st.refused);
        cJSON_AddNumberToObject(w, "jobs_done", (double)st.jobs_done);
        cJSON_AddItemToArray(arr, w);
    }
    return arr;
}

static cJSON *redis_json(app *a)
{
    store_stats st;
    store_get_stats(a->store, &st);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "state", store_state_name(st.state));
    cJSON_AddNumberToObject(r, "queued_writes", (double)st.queued_ops);
    cJSON_AddNumberToObject(r, "writes_acked", (double)st.writes_acked);
    cJSON_AddNumberToObject(r, "writes_failed", (double)st.writes_failed);
    cJSON_AddNumberToObject(r, "overflows", (double)st.overflows);
    cJSON_AddNumberToObject(r, "reads_failed", (double)st.reads_failed);
    return r;
}

static cJSON *webhooks_json(app *a)
{
    webhook_stats st;
    webhook_get_stats(a->webhooks, &st);
    cJSON *w = cJSON_CreateObject();
    cJSON_AddNumberToObject(w, "targets", (double)st.targets);
    cJSON_AddNumberToObject(w, "sent", (double)st.sent);
    cJSON_AddNumberToObject(w, "retries", (double)st.retries);
    cJSON_AddNumberToObject(w, "queued", (double)st.queued);
    cJSON_AddNumberToObject(w, "max_depth", (double)st.max_depth);
    cJSON_AddNumberToObject(w, "delivered", (double)st.delivered);
    cJSON_AddNumberToObject(w, "failed", (double)st.failed);
    cJSON_AddNumberToObject(w, "dropped", (double)st.dropped);
    return w;
}

static cJSON *live_json(app *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!a->live)
        return o;
    live_stats st;
    live_get_stats(a->live, &st);
    cJSON_AddNumberToObject(o, "jobs_active", (double)st.jobs_active);
    cJSON_AddNumberToObject(o, "jobs_started", (double)st.jobs_started);
    cJSON_AddNumberToObject(o, "enrol_created", (double)st.enrol_created);
    cJSON_AddNumberToObject(o, "subscriptions", (double)st.subscriptions);
    live_webhooks_stats ws;
    live_webhooks_get_stats(a->live_webhooks, &ws);
    cJSON_AddNumberToObject(o, "webhooks_sent", (double)ws.sent);
    cJSON_AddNumberToObject(o, "worker_refused", (double)st.worker_refused);
    cJSON_AddNumberToObject(o, "polls", (double)st.polls);
    return o;
}

cJSON *api_status_json(app *a)
{
    const registry_stats *rs = registry_get_stats(a->reg);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", CALLPRINT_VERSION);
    cJSON_AddNumberToObject(o, "uptime_s", (double)app_uptime_ms(a) / 1000.0);
    cJSON_AddNumberToObject(o, "streams_running", (double)registry_count(a->reg));
    cJSON_AddNumberToObject(o, "streams_max", registry_max(a->reg));
    cJSON_AddNumberToObject(o, "streams_started", (double)rs->started);
    cJSON_AddNumberToObject(o, "streams_refused", (double)rs->refused);
    cJSON *h = cJSON_AddObjectToObject(o, "http_streams");
    cJSON_AddNumberToObject(h, "running", (double)api_httpstream_count(a->api));
    cJSON_AddNumberToObject(h, "max", registry_max(a->reg));
    cJSON_AddNumberToObject(h, "opened", (double)a->api->hstreams_opened);
    cJSON_AddNumberToObject(h, "timed_out", (double)a->api->hstreams_timed_out);
    cJSON_AddNumberToObject(h, "timeout_s", a->cfg->http_stream_timeout_ms / 1000.0);
    cJSON_AddBoolToObject(o, "maintenance", registry_maintenance(a->reg));
    cJSON_AddBoolToObject(o, "draining", server_draining(a->srv));
    cJSON_AddItemToObject(o, "model", model_json(a));
    cJSON_AddItemToObject(o, "workers", workers_json(a));
    cJSON_AddItemToObject(o, "redis", redis_json(a));
    cJSON_AddItemToObject(o, "webhooks", webhooks_json(a));
    cJSON_AddItemToObject(o, "live", live_json(a));
    cJSON_AddNumberToObject(o, "api_tokens", (double)auth_live_tokens(a->auth));
    return o;
}

static http_result h_status(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    api_send(req, 200, api_status_json(a));
    return HTTP_DONE;
}

/* The operator gives the generated secret to the webhook receivers; a configured one is the
 * operator's own and is not echoed (its fingerprint tells which one is in use). */
static http_result h_webhook_secret(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    const char *secret = wsecret_get(a->wsecret);
    if (!secret) {
        http_reply_error(req, 503, "the webhook secret is not loaded yet (Redis unavailable)");
        return HTTP_DONE;
    }
    bool generated = wsecret_generated(a->wsecret);
    log_info("webhook secret %s through the API", generated ? "read" : "fingerprint read");
    if (a->store)
        store_audit(a->store, "webhook_secret_read", NULL, NULL, NULL, NULL, NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", generated ? "generated" : "configured");
    cJSON_AddStringToObject(o, "fingerprint", wsecret_fingerprint(a->wsecret));
    if (generated)
        cJSON_AddStringToObject(o, "webhook_secret", secret);
    http_add_header(req, "Cache-Control", "no-store");
    api_send(req, 200, o);
    return HTTP_DONE;
}

static void reply_maintenance(app *a, http_req *req, const char *what)
{
    log_info("maintenance: %s through the API", what);
    if (a->store)
        store_audit(a->store, "maintenance", NULL, NULL, what, NULL, NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "maintenance", registry_maintenance(a->reg));
    cJSON_AddNumberToObject(o, "streams_running", (double)registry_count(a->reg));
    api_send(req, 200, o);
}

static http_result h_lock(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    registry_set_maintenance(a->reg, true);
    reply_maintenance(a, req, "lock");
    return HTTP_DONE;
}

static http_result h_unlock(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    if (server_draining(a->srv)) {
        http_reply_error(req, 409, "the gateway is shutting down; it stays locked");
        return HTTP_DONE;
    }
    registry_set_maintenance(a->reg, false);
    reply_maintenance(a, req, "unlock");
    return HTTP_DONE;
}

/* Streams are collected by uuid first: ending one unlinks it from the registry. */
static http_result h_force_off(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    size_t n = registry_count(a->reg), k = 0, ended = 0;
    char(*ids)[STREAM_UUID_LEN + 1] = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) {
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    for (stream *s = registry_first(a->reg); s && k < n; s = registry_next(s))
        memcpy(ids[k++], s->uuid, sizeof ids[0]);
    for (size_t i = 0; i < k; i++) {
        stream *s = registry_by_uuid(a->reg, ids[i]);
        if (s && s->end_fn) {
            stream_end(s, STREAM_END_FORCED);
            ended++;
        }
    }
    free(ids);
    char detail[64];
    snprintf(detail, sizeof detail, "force_off: %zu stream(s)", ended);
    log_info("maintenance: %s ended through the API", detail);
    if (a->store)
        store_audit(a->store, "maintenance", NULL, NULL, detail, NULL, NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "ended", (double)ended);
    cJSON_AddNumberToObject(o, "streams_running", (double)registry_count(a->reg));
    cJSON_AddBoolToObject(o, "maintenance", registry_maintenance(a->reg));
    api_send(req, 200, o);
    return HTTP_DONE;
}

void api_admin_register(app *a)
{
    load_openapi(a);
    api_route(a, "GET", API_PREFIX "/openapi.json", h_openapi);
    api_route(a, "GET", API_PREFIX "/status", h_status);
    api_route(a, "GET", API_PREFIX "/admin/webhook-secret", h_webhook_secret);
    api_route(a, "POST", API_PREFIX "/maintenance/lock", h_lock);
    api_route(a, "POST", API_PREFIX "/maintenance/unlock", h_unlock);
    api_route(a, "POST", API_PREFIX "/maintenance/force_off", h_force_off);
}
