/* api_vv.c -- the Voice Verify manual's REST surface, served by callprint's own handlers.
 *
 * The manual (Voice Verify 1.5.1) names its routes without the /api/v2 prefix for most of them
 * (POST /enroll, GET /lock, DELETE /leave, POST /rest-auth/login/ ...) and with it for others
 * (/api/v2/stream/HTTP, /api/v2/subscription, /api/v2/maintenance/asp/). One implementation,
 * two routings: the table below maps each of the manual's method + path to the callprint
 * route that does the work, with a small request adapter where the manual's fields differ
 * (the stream uuid in the body instead of the path, Django's new_password1/2: vv_map.h, pure
 * and fuzzed; adapters run after the token check, as callprint's own routes) and a reply
 * filter that adds the manual's field names (every error also carries "msg", the login its
 * "key"). A bare path is also served under /api/v2 ("twin") where callprint has no route of
 * that name: the manual can be read either way, so both readings work.
 *
 * What callprint has beyond the manual is registered here under /api/v2 as ordinary routes:
 * the usage export built from the audit stream (GET /api/v2/logging_aggregate) and the Audio
 * Source Profile view (the shipped model's calibration is the one profile, always active).
 * What callprint cannot do -- SIP PBX entries, uploading profiles, resetting the password
 * from outside -- answers 501 in the manual's error shape ({"msg", "status"}) with a sentence
 * saying so, after the token check like every other route.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "common/log.h"
#include "common/time.h"
#include "api/vv_map.h"

#define AUDIT_PAGE 1000
#define AUDIT_PAGES_MAX 200 /* 200 000 entries: twice the audit stream's default cap */

/* ---------- reply filters: the manual's field names on callprint's replies ---------- */

/* The reply as a JSON object, NULL when it is not one. */
static cJSON *reply_object(const char *body, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(body, len);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

static char *print_free(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return NULL;
    char *out = strdup(s); /* http_reply frees with free() */
    cJSON_free(s);
    return out;
}

/* Errors: {"error": s, "status": n} gains "msg": s, the manual's key. */
static void add_msg(cJSON *o, int status)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (status >= 400 && cJSON_IsString(e) && !cJSON_HasObjectItem(o, "msg"))
        cJSON_AddStringToObject(o, "msg", e->valuestring);
    if (status >= 400 && !cJSON_HasObjectItem(o, "status"))
        cJSON_AddNumberToObject(o, "status", status);
}

static char *filter_error(int *status, const char *body, size_t len, void *ud)
{
    (void)ud;
    cJSON *o = *status >= 400 ? reply_object(body, len) : NULL;
    if (!o)
        return NULL;
    add_msg(o, *status);
    return print_free(o);
}

/* Enrol/verify on a stream: an unknown stream is the manual's "Stream not found.". */
static char *filter_job(int *status, const char *body, size_t len, void *ud)
{
    (void)ud;
    cJSON *o = *status >= 400 ? reply_object(body, len) : NULL;
    if (!o)
        return NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (*status == 404 && cJSON_IsString(e) && strcmp(e->valuestring, "stream not found") == 0)
        cJSON_AddStringToObject(o, "msg", "Stream not found.");
    add_msg(o, *status);
    return print_free(o);
}

/* Django REST framework's login answers {"key": token}: both names are given. */
static char *filter_login(int *status, const char *body, size_t len, void *ud)
{
    (void)ud;
    cJSON *o = reply_object(body, len);
    if (!o)
        return NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "token");
    if (*status == 200 && cJSON_IsString(t))
        cJSON_AddStringToObject(o, "key", t->valuestring);
    add_msg(o, *status);
    return print_free(o);
}

static char *filter_password(int *status, const char *body, size_t len, void *ud)
{
    (void)ud;
    cJSON *o = reply_object(body, len);
    if (!o)
        return NULL;
    if (*status == 200)
        cJSON_AddStringToObject(o, "detail", "New password has been saved.");
    add_msg(o, *status);
    return print_free(o);
}

/* ---------- the alias table ---------- */

typedef struct {
    const char *method, *path;       /* the manual's ("/x/" "*": a prefix, rest appended) */
    const char *to_method, *to_path; /* callprint's route doing the work */
    bool twin;                       /* also served under /api/v2 + path */
    vv_map_fn adapt;          /* vv_map.h: the manual's request fields to callprint's */
    http_reply_filter filter; /* NULL: filter_error */
} vv_alias;

/* Parsed by tests/e2e/api/openapi_check.py: each entry starts a line with its method and path. */
static const vv_alias vv_aliases[] = {
    {"POST", "/rest-auth/login/", "POST", API_PREFIX "/auth/login", false, NULL, filter_login},
    {"POST", "/rest-auth/password/change/", "POST", API_PREFIX "/auth/password",
     false, vv_map_password, filter_password},
    {"POST", "/rest-auth/logout/", "POST", API_PREFIX "/auth/logout", false, NULL, NULL},
    {"GET", "/maintenance/reset_password", "GET", API_PREFIX "/maintenance/reset_password",
     false, NULL, NULL},
    {"GET", "/streams", "GET", API_PREFIX "/streams", false, NULL, NULL},
    {"POST", "/streams", "POST", API_PREFIX "/streams", false, NULL, NULL},
    {"POST", "/enroll", "POST", API_PREFIX "/stream/", true, vv_map_enroll, filter_job},
    {"POST", "/verify", "POST", API_PREFIX "/stream/", true, vv_map_verify, filter_job},
    {"POST", "/voiceprint", "POST", API_PREFIX "/voiceprint", false, NULL, NULL},
    {"DELETE", "/leave", "DELETE", API_PREFIX "/voiceprint/", true, vv_map_leave, NULL},
    {"POST", "/import", "POST", API_PREFIX "/import", false, NULL, NULL},
    {"GET", "/snapshot/generate", "GET", API_PREFIX "/snapshot", true, NULL, NULL},
    {"POST", "/snapshot/import", "POST", API_PREFIX "/snapshot/import",
     false, vv_map_snapshot, NULL},
    {"GET", "/lock", "POST", API_PREFIX "/maintenance/lock", true, NULL, NULL},
    {"POST", "/lock", "POST", API_PREFIX "/maintenance/lock", true, NULL, NULL},
    {"GET", "/maintenance/unlock", "POST", API_PREFIX "/maintenance/unlock", true, NULL, NULL},
    {"POST", "/maintenance/unlock", "POST", API_PREFIX "/maintenance/unlock", false, NULL, NULL},
    {"POST", "/maintenance/force_off", "POST", API_PREFIX "/maintenance/force_off",
     false, NULL, NULL},
    {"POST", "/maintenance/loadbackup", "POST", API_PREFIX "/snapshot/import",
     true, vv_map_backup, NULL},
    {"POST", "/maintenance/load_asp/*", "POST", API_PREFIX "/maintenance/load_asp/*",
     false, NULL, NULL},
    {"GET", "/logging_aggregate", "GET", API_PREFIX "/logging_aggregate", false, NULL, NULL},
    {"GET", "/pbx", "GET", API_PREFIX "/pbx", false, NULL, NULL},
    {"POST", "/pbx", "POST", API_PREFIX "/pbx", false, NULL, NULL},
    {"GET", "/pbx/*", "GET", API_PREFIX "/pbx/*", false, NULL, NULL},
    {"DELETE", "/pbx/*", "DELETE", API_PREFIX "/pbx/*", false, NULL, NULL},
    {"POST", "/pbx/*", "POST", API_PREFIX "/pbx/*", false, NULL, NULL},
};

/* An alias bound to its app: adapters read bodies, so they run after the token check. */
struct api_vv_route {
    app *a;
    const vv_alias *al;
};

static http_result vv_serve(http_req *req, void *ud)
{
    const struct api_vv_route *rt = ud;
    const vv_alias *al = rt->al;
    http_req_filter(req, al->filter ? al->filter : filter_error, NULL);
    if (al->adapt && !api_auth(rt->a, req))
        return HTTP_DONE;
    vv_map_req *m = calloc(1, sizeof *m);
    if (!m) {
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    size_t tl = strlen(al->to_path);
    if (tl >= 2 && strcmp(al->to_path + tl - 2, "/*") == 0) /* prefix: keep what followed */
        snprintf(m->path, sizeof m->path, "%.*s%s", (int)(tl - 1), al->to_path,
                 http_req_path_rest(req));
    else
        snprintf(m->path, sizeof m->path, "%s", al->to_path);
    http_result r = HTTP_DONE;
    if (al->adapt) {
        m->body = http_req_body(req, &m->len);
        m->query_id = http_req_query(req, "external_id");
    }
    if (al->adapt && !al->adapt(m)) {
        http_reply_error(req, m->status, m->why);
    } else {
        if (m->new_body)
            http_req_set_body(req, m->new_body, strlen(m->new_body)); /* the request owns it */
        r = http_redispatch(req, al->to_method, m->path);
    }
    free(m);
    return r;
}

/* ---------- not available in callprint: the manual's error shape, a clear sentence ---------- */

static void reply_unavailable(http_req *req, int status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "msg", msg);
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "status", status);
    api_send(req, status, o);
}

#define NO_PBX "SIP PBX connectivity is not available in callprint: stream calls over the " \
               "WebSocket (Twilio or Voice Verify messages) or HTTP streams instead"

static http_result h_pbx_list(http_req *req, void *ud)
{
    if (!api_auth(ud, req))
        return HTTP_DONE;
    /* The manual lists PBX entries as an array; callprint keeps none. */
    api_send(req, 200, cJSON_CreateArray());
    return HTTP_DONE;
}

static http_result h_pbx_other(http_req *req, void *ud)
{
    if (api_auth(ud, req))
        reply_unavailable(req, 501, NO_PBX);
    return HTTP_DONE;
}

static http_result h_reset_password(http_req *req, void *ud)
{
    if (api_auth(ud, req))
        reply_unavailable(req, 501, "password reset is not available through the API: change "
                                    "it with POST /rest-auth/password/change/, or delete the "
                                    "stored password record and restart with a new "
                                    "CALLPRINT_ADMIN_PASSWORD");
    return HTTP_DONE;
}

/* ---------- Audio Source Profiles: the shipped model's calibration ---------- */

/* A stable uuid for the loaded model's calibration: SHA-256 of engine, file name and
 * thresholds, shaped as a UUID (version 5 style bits), so it survives restarts and changes
 * when the calibration does. */
static void asp_uuid(const app *a, char out[37])
{
    char name[CONFIG_STR_MAX + 128];
    const char *file = strrchr(a->cfg->model, '/');
    int n = snprintf(name, sizeof name, "%s|%s|%.4f|%.4f", a->engine ? a->engine->name : "",
                     file ? file + 1 : a->cfg->model, a->bio.thr_verified, a->bio.thr_not_sure);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(name, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    md[6] = (unsigned char)((md[6] & 0x0F) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3F) | 0x80);
    static const int dash[] = {4, 6, 8, 10};
    size_t k = 0;
    for (int i = 0, d = 0; i < 16; i++) {
        if (d < 4 && i == dash[d]) {
            out[k++] = '-';
            d++;
        }
        k += (size_t)snprintf(out + k, 37 - k, "%02x", md[i]);
    }
    out[36] = '\0';
}

static cJSON *asp_json(const app *a)
{
    char uuid[37];
    asp_uuid(a, uuid);
    const char *file = strrchr(a->cfg->model, '/');
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", uuid);
    cJSON_AddStringToObject(o, "name", file ? file + 1 : a->cfg->model);
    cJSON_AddBoolToObject(o, "active", true);
    cJSON_AddStringToObject(o, "engine", a->engine ? a->engine->name : "");
    cJSON_AddStringToObject(o, "description", "the shipped model's calibration (score "
                                              "thresholds and minimum net speech)");
    cJSON_AddNumberToObject(o, "thr_verified", a->bio.thr_verified);
    cJSON_AddNumberToObject(o, "thr_not_sure", a->bio.thr_not_sure);
    cJSON_AddNumberToObject(o, "min_enroll_speech", a->bio.min_enroll_speech);
    cJSON_AddNumberToObject(o, "min_verify_speech", a->bio.min_verify_speech);
    return o;
}

/* True when id names the profile; otherwise 404 replied (503 without a model). */
static bool asp_is_ours(app *a, http_req *req, const char *id, size_t n)
{
    char uuid[37];
    if (!a->model) {
        reply_unavailable(req, 503, "no Audio Source Profile is active: the model is not loaded");
        return false;
    }
    asp_uuid(a, uuid);
    const char *file = strrchr(a->cfg->model, '/');
    const char *name = file ? file + 1 : a->cfg->model;
    if ((n == 36 && strncmp(id, uuid, 36) == 0) || (n == strlen(name) && !strncmp(id, name, n)))
        return true;
    reply_unavailable(req, 404, "no such Audio Source Profile: callprint has one, the shipped "
                                "model's calibration (GET /api/v2/maintenance/asp/)");
    return false;
}

static http_result h_asp_list(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    cJSON *arr = cJSON_CreateArray();
    if (a->model)
        cJSON_AddItemToArray(arr, asp_json(a));
    api_send(req, 200, arr);
    return HTTP_DONE;
}

static http_result h_asp_upload(http_req *req, void *ud)
{
    if (api_auth(ud, req))
        reply_unavailable(req, 501, "uploading Audio Source Profiles is not available: "
                                    "callprint is calibrated by its model file and the "
                                    "thr_verified / thr_not_sure settings");
    return HTTP_DONE;
}

static http_result h_asp_active(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    if (a->model)
        api_send(req, 200, asp_json(a));
    else
        asp_is_ours(a, req, "", 0); /* replies 503 */
    return HTTP_DONE;
}

/* GET .../asp/{uuid}, DELETE .../asp/{uuid}, POST .../asp/{uuid}/active */
static http_result h_asp_one(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    const char *rest = http_req_path_rest(req), *method = http_req_method(req);
    size_t n = strcspn(rest, "/");
    const char *tail = rest + n;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    bool known_tail = !*tail || strcmp(tail, "/") == 0 ||
                      (post && (strcmp(tail, "/active") == 0 || strcmp(tail, "/active/") == 0));
    if (!known_tail || (post && !*tail)) {
        reply_unavailable(req, 404, "not found");
        return HTTP_DONE;
    }
    if (!asp_is_ours(a, req, rest, n))
        return HTTP_DONE;
    if (get || post) /* POST .../active: it is the active one already */
        api_send(req, 200, asp_json(a));
    else
        reply_unavailable(req, 409, "the active Audio Source Profile cannot be removed: it is "
                                    "the shipped model's calibration");
    return HTTP_DONE;
}

/* POST /maintenance/load_asp/{name}/: the one profile loads (it is active); others 404. */
static http_result h_load_asp(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    const char *rest = http_req_path_rest(req);
    size_t n = strcspn(rest, "/");
    if (asp_is_ours(a, req, rest, n))
        api_send(req, 200, asp_json(a));
    return HTTP_DONE;
}

/* ---------- GET /api/v2/logging_aggregate: usage from the audit stream ---------- */

typedef struct {
    app *a;
    http_req *req;
    int64_t from_ms, to_ms;
    char end[32];
    int pages;
    uint64_t entries, streams, enrollments, verifications, imports, deletes;
    cJSON *events; /* event -> count */
} agg_job;

static void agg_entry(agg_job *j, const char *event, const char *detail)
{
    j->entries++;
    if (cJSON_GetArraySize(j->events) < 64 || cJSON_HasObjectItem(j->events, event))
        api_json_bump(j->events, event);
    if (strcmp(event, "stream_start") == 0)
        j->streams++;
    else if (strcmp(event, "enroll") == 0 && strncmp(detail, "enrolled", 8) == 0)
        j->enrollments++;
    else if (strcmp(event, "verify") == 0)
        j->verifications++;
    else if (strcmp(event, "voiceprint_import") == 0)
        j->imports += strtoull(detail, NULL, 10);
    else if (strcmp(event, "voiceprint_delete") == 0)
        j->deletes++;
}

static void agg_reply(agg_job *j)
{
    char from[32], to[32], now[32];
    time_rfc3339(j->from_ms, from);
    time_rfc3339(j->to_ms, to);
    time_rfc3339(time_now_ms(), now);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "from", from);
    cJSON_AddStringToObject(o, "to", to);
    cJSON_AddStringToObject(o, "generated", now);
    cJSON *inv = cJSON_AddObjectToObject(o, "invoiceable");
    cJSON_AddNumberToObject(inv, "streams", (double)j->streams);
    cJSON_AddNumberToObject(inv, "enrollments", (double)j->enrollments);
    cJSON_AddNumberToObject(inv, "verifications", (double)j->verifications);
    cJSON_AddNumberToObject(inv, "imported_voiceprints", (double)j->imports);
    cJSON_AddNumberToObject(o, "voiceprints_deleted", (double)j->deletes);
    cJSON_AddNumberToObject(o, "entries", (double)j->entries);
    cJSON_AddItemToObject(o, "events", j->events);
    cJSON_AddBoolToObject(o, "complete", j->pages < AUDIT_PAGES_MAX);
    api_send(j->req, 200, o);
    free(j);
}

static void on_audit(void *arg, store_status st, uint64_t more, const char *const *items,
                     size_t n, const char *err)
{
    agg_job *j = arg;
    if (st != STORE_OK) {
        cJSON_Delete(j->events);
        api_store_error(j->req, st, err);
        free(j);
        return;
    }
    for (size_t i = 0; i + 3 < n; i += 4)
        agg_entry(j, items[i + 1], items[i + 3]);
    if (more && n >= 4 && ++j->pages < AUDIT_PAGES_MAX) {
        char start[80];
        snprintf(start, sizeof start, "(%s", items[n - 4]);
        store_audit_read(j->a->store, start, j->end, AUDIT_PAGE, on_audit, j);
        return;
    }
    agg_reply(j);
}

static http_result h_logging_aggregate(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    const char *names[] = {"from", "to"};
    int64_t when[2] = {0, time_now_ms()};
    for (int i = 0; i < 2; i++) {
        const char *v = http_req_query(req, names[i]);
        if (v && !vv_parse_when(v, &when[i])) {
            char msg[128];
            snprintf(msg, sizeof msg, "\"%s\" must be milliseconds since 1970 or an RFC 3339 "
                                      "date (2026-12-01 or 2026-12-01T00:00:00Z)", names[i]);
            reply_unavailable(req, 400, msg);
            return HTTP_DONE;
        }
    }
    agg_job *j = calloc(1, sizeof *j);
    cJSON *events = j ? cJSON_CreateObject() : NULL;
    if (!events) {
        free(j);
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    *j = (agg_job){.a = a, .req = req, .from_ms = when[0], .to_ms = when[1], .events = events};
    char start[32];
    snprintf(start, sizeof start, "%lld", (long long)when[0]);
    snprintf(j->end, sizeof j->end, "%lld", (long long)when[1]);
    store_audit_read(a->store, start, j->end, AUDIT_PAGE, on_audit, j);
    return HTTP_DEFERRED;
}

/* ---------- registration ---------- */

void api_vv_register(app *a)
{
    api_route(a, "GET", API_PREFIX "/logging_aggregate", h_logging_aggregate);
    api_route(a, "GET", API_PREFIX "/maintenance/reset_password", h_reset_password);
    api_route(a, "GET", API_PREFIX "/maintenance/asp", h_asp_list);
    api_route(a, "POST", API_PREFIX "/maintenance/asp", h_asp_upload);
    api_route(a, "GET", API_PREFIX "/maintenance/asp/active", h_asp_active);
    api_route(a, "GET", API_PREFIX "/maintenance/asp/*", h_asp_one);
    api_route(a, "DELETE", API_PREFIX "/maintenance/asp/*", h_asp_one);
    api_route(a, "POST", API_PREFIX "/maintenance/asp/*", h_asp_one);
    api_route(a, "POST", API_PREFIX "/maintenance/load_asp/*", h_load_asp);
    api_route(a, "GET", API_PREFIX "/pbx", h_pbx_list);
    api_route(a, "POST", API_PREFIX "/pbx", h_pbx_other);
    api_route(a, "GET", API_PREFIX "/pbx/*", h_pbx_other);
    api_route(a, "DELETE", API_PREFIX "/pbx/*", h_pbx_other);
    api_route(a, "POST", API_PREFIX "/pbx/*", h_pbx_other);
    const size_t n = sizeof vv_aliases / sizeof vv_aliases[0];
    struct api_vv_route *rts = a->api->vv_routes = calloc(n, sizeof *rts);
    for (size_t i = 0; rts && i < n; i++) {
        const vv_alias *al = &vv_aliases[i];
        char twin[128];
        rts[i] = (struct api_vv_route){a, al};
        if (http_route(a->router, al->method, al->path, vv_serve, &rts[i]) != 0)
            log_error("REST API: cannot register %s %s (route table full)", al->method, al->path);
        snprintf(twin, sizeof twin, API_PREFIX "%s", al->path);
        if (al->twin && http_route(a->router, al->method, twin, vv_serve, &rts[i]) != 0)
            log_error("REST API: cannot register %s %s (route table full)", al->method, twin);
    }
    if (!rts)
        log_error("REST API: out of memory: the Voice Verify manual's paths are not served");
    http_route_body_max(a->router, "POST", "/import", (size_t)a->cfg->import_body_max);
}
