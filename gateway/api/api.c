/* api.c -- REST registration and the helpers shared by the api_*.c route files. See api.h.
 *
 * Each area registers its own routes; this file only lists the areas and holds what every
 * handler needs: token checks (with an audit record of each failure), JSON body parsing and
 * field validation that answer 400 with a sentence naming the field, and cJSON replies.
 */
#include "api/api.h"
#include "fraud/fraud.h"
#include "fraud/speaker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/app.h"
#include "common/log.h"

/* The router asks this before reading a body larger than http_preauth_body_max: only a
 * request whose headers carry a valid token may make the gateway buffer that much. */
static bool api_gate(http_req *req, void *ud)
{
    struct app *a = ud;
    const char *token = api_token(req);
    return token && auth_check(a->auth, token) == AUTH_OK;
}

void api_register(struct app *a)
{
    a->api = calloc(1, sizeof *a->api);
    if (!a->api) {
        log_error("REST API: out of memory");
        return;
    }
    a->api->a = a;
    http_router_gate(a->router, api_gate, a);
    /* Longer paths of the same stem first (see api.h "Route order"). */
    api_auth_register(a);
    api_admin_register(a);
    api_streams_register(a);
    api_httpstream_register(a);
    api_voiceprints_register(a);
    api_live_register(a);
    /* Other areas add their api_<area>_register(a) call below. */
    api_connect_register(a);
    api_directory_register(a);
    api_fraud_register(a);
    api_speakers_register(a);
    api_watchlists_register(a);
    api_debug_register(a);
    api_console_register(a);
    api_vv_register(a); /* last: the manual's paths never shadow callprint's own */
}

void api_free(api *p)
{
    if (!p)
        return;
    if (p->hstreams)
        log_error("REST API: %zu HTTP stream(s) still open at exit", p->n_hstreams);
    free(p->openapi);
    free(p->vv_routes);
    free(p);
}

void api_route(struct app *a, const char *method, const char *path, http_handler h)
{
    if (http_route(a->router, method, path, h, a) != 0)
        log_error("REST API: cannot register %s %s (route table full)", method, path);
}

#define API_FAIL_WINDOW_MS 60000
#define API_FAIL_LOG_MAX 10

void api_failure_audit(struct app *a, const char *event, const char *detail)
{
    if (a->store && store_state(a->store) == STORE_LINK_CONNECTED)
        store_audit(a->store, event, NULL, NULL, detail, NULL, NULL);
}

void api_failures_flush(struct app *a)
{
    api *p = a->api;
    if (!p || !p->fail_suppressed)
        return;
    char n[24], detail[96];
    snprintf(n, sizeof n, "%u", p->fail_suppressed);
    snprintf(detail, sizeof detail, "%u more failed authentications in that minute",
             p->fail_suppressed);
    log_write(LOG_WARN, NULL, NULL, LOG_KV("count", n),
              "failed authentications not logged one by one (more than %d in a minute)",
              API_FAIL_LOG_MAX);
    api_failure_audit(a, "auth_failures", detail);
    p->fail_suppressed = 0;
}

bool api_failure_admit(struct app *a)
{
    api *p = a->api;
    uint64_t now = uv_now(a->loop);
    if (!p->fail_window_ms || now - p->fail_window_ms >= API_FAIL_WINDOW_MS) {
        api_failures_flush(a);
        p->fail_window_ms = now ? now : 1;
        p->fail_logged = 0;
    }
    if (p->fail_logged < API_FAIL_LOG_MAX) {
        p->fail_logged++;
        return true;
    }
    p->fail_suppressed++;
    return false;
}

/* "Token <t>" as the Voice Verify manual (and Django REST framework) write it; the scheme
 * is case-insensitive and may be followed by several spaces (RFC 9110). */
const char *api_token(http_req *req)
{
    const char *h = http_req_header(req, "authorization");
    if (!h || strncasecmp(h, "Token ", 6) != 0)
        return NULL;
    for (h += 6; *h == ' '; h++)
        ;
    return *h ? h : NULL;
}

size_t api_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80; /* continuation bytes are not characters */
    return n;
}

bool api_auth(struct app *a, http_req *req)
{
    if (!auth_enabled(a->auth)) {
        http_reply_error(req, 503, "the REST API is disabled: set CALLPRINT_ADMIN_PASSWORD");
        return false;
    }
    const char *h = http_req_header(req, "authorization");
    const char *token = api_token(req);
    auth_status st = token ? auth_check(a->auth, token) : AUTH_INVALID_TOKEN;
    api_record_refresh(a); /* a password changed elsewhere revokes this token soon */
    if (st == AUTH_OK)
        return true;
    const char *why = !h ? "missing Authorization header"
                         : !token ? "Authorization must be \"Token <token>\""
                                  : auth_status_text(st);
    if (api_failure_admit(a)) {
        char path[256];
        log_write(LOG_WARN, NULL, NULL,
                  LOG_KV("client", http_req_peer(req), "path",
                         log_mask_path(http_req_path(req), path, sizeof path)),
                  "API authentication failed: %s", why);
        api_failure_audit(a, "auth_failure", http_req_peer(req));
    }
    http_add_header(req, "WWW-Authenticate", "Token");
    http_reply_error(req, 401, why);
    return false;
}

cJSON *api_json_body(http_req *req)
{
    size_t len;
    const char *body = http_req_body(req, &len);
    if (!body || len == 0) {
        http_reply_error(req, 400, "a JSON object body is required");
        return NULL;
    }
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!obj || !cJSON_IsObject(obj)) {
        char msg[96];
        if (obj)
            snprintf(msg, sizeof msg, "the body must be a JSON object");
        else
            snprintf(msg, sizeof msg, "the body is not valid JSON (near byte %zu)",
                     end ? (size_t)(end - body) : (size_t)0);
        cJSON_Delete(obj);
        http_reply_error(req, 400, msg);
        return NULL;
    }
    return obj;
}

cJSON *api_auth_body(struct app *a, http_req *req)
{
    return api_auth(a, req) ? api_json_body(req) : NULL;
}

const char *api_string(http_req *req, const cJSON *obj, const char *name, size_t max,
                       bool required, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    char msg[160];
    *bad = false;
    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return NULL;
        snprintf(msg, sizeof msg, "\"%s\" is required", name);
    } else if (!cJSON_IsString(v)) {
        snprintf(msg, sizeof msg, "\"%s\" must be a string", name);
    } else if (v->valuestring[0] == '\0') {
        snprintf(msg, sizeof msg, "\"%s\" must not be empty", name);
    } else if (strlen(v->valuestring) > max) {
        snprintf(msg, sizeof msg, "\"%s\" is longer than %zu characters", name, max);
    } else {
        return v->valuestring;
    }
    *bad = true;
    http_reply_error(req, 400, msg);
    return NULL;
}

const char *api_external_id(http_req *req, const cJSON *obj, const char *name, bool required,
                            bool *bad)
{
    const char *id = api_string(req, obj, name, API_EXTERNAL_ID_BYTES, required, bad);
    if (id && api_utf8_len(id) > API_EXTERNAL_ID_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "\"%s\" is longer than %d characters", name,
                 API_EXTERNAL_ID_MAX);
        http_reply_error(req, 400, msg);
        *bad = true;
        return NULL;
    }
    return id;
}

api_id_job *api_id_job_new(app *a, http_req *req, const char *id)
{
    api_id_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_reply_error(req, 500, "out of memory");
        return NULL;
    }
    j->a = a;
    j->req = req;
    snprintf(j->id, sizeof j->id, "%s", id);
    return j;
}

api_id_job *api_id_job_from_body(app *a, http_req *req)
{
    cJSON *body = api_auth_body(a, req);
    bool bad = !body;
    const char *id = bad ? NULL : api_external_id(req, body, "external_id", true, &bad);
    api_id_job *j = bad ? NULL : api_id_job_new(a, req, id);
    cJSON_Delete(body);
    return j;
}

bool api_auth_path_id(app *a, http_req *req, const char *what, char *id)
{
    return api_auth(a, req) &&
           api_path_id(req, what, API_EXTERNAL_ID_MAX, id, API_EXTERNAL_ID_BYTES + 1);
}

api_id_job *api_id_job_from_path(app *a, http_req *req)
{
    char id[API_EXTERNAL_ID_BYTES + 1];
    return api_auth_path_id(a, req, "external_id", id) ? api_id_job_new(a, req, id) : NULL;
}

bool api_query_u64(http_req *req, const char *name, uint64_t def, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    const char *v = http_req_query(req, name);
    *out = def;
    if (!v || !*v)
        return true;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*end && v[0] != '-' && x >= lo && x <= hi) {
        *out = x;
        return true;
    }
    char msg[128];
    snprintf(msg, sizeof msg,
             "query argument \"%s\" must be an integer in [%" PRIu64 ", %" PRIu64 "]", name, lo,
             hi);
    http_reply_error(req, 400, msg);
    return false;
}

bool api_bool(http_req *req, const cJSON *obj, const char *name, bool def, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *bad = false;
    if (!v || cJSON_IsNull(v))
        return def;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    char msg[128];
    snprintf(msg, sizeof msg, "\"%s\" must be true or false", name);
    *bad = true;
    http_reply_error(req, 400, msg);
    return def;
}

/* The router's path is already percent-decoded once (by lws's request parser): a second
 * decoding here would turn "a%2541" (the id "a%41") into "aA". So the rest is taken as is. */
bool api_path_id(http_req *req, const char *what, size_t max, char *out, size_t cap)
{
    const char *in = http_req_path_rest(req);
    size_t n = 0, chars = 0;
    const char *why = NULL;
    for (; *in && !why; in++) {
        int c = (unsigned char)*in;
        if (c < 0x20 || c == 0x7f || c == '/')
            why = "contains a control character or '/'";
        else if ((chars += (c & 0xC0) != 0x80) > max || n + 1 >= cap)
            why = "is too long";
        else
            out[n++] = (char)c;
    }
    out[n] = '\0';
    if (!why && n == 0)
        why = "is missing";
    if (!why)
        return true;
    char msg[160];
    snprintf(msg, sizeof msg, "the %s in the path %s (at most %zu characters)", what, why, max);
    http_reply_error(req, 400, msg);
    return false;
}

void api_store_error(http_req *req, store_status st, const char *err)
{
    int code = st == STORE_NOT_FOUND || st == STORE_OPTED_OUT            ? 404
               : st == STORE_EXISTS                                      ? 409
               : st == STORE_INVALID                                     ? 400
               : st == STORE_UNAVAILABLE || st == STORE_OVERFLOW || st == STORE_CLOSED ? 503
                                                                         : 500;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", err && *err ? err : store_strerror(st));
    http_reply_error(req, code, msg);
}

void api_json_bump(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v)
        cJSON_SetNumberValue(v, v->valuedouble + 1);
    else
        cJSON_AddNumberToObject(obj, key, 1);
}

void api_send(http_req *req, int status, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    http_reply_json(req, status, text);
    cJSON_free(text);
}
