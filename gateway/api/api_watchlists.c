/* api_watchlists.c -- REST for fraudster watchlists (fraud.h, fraud_watch.c).
 *
 *   GET    /api/v2/watchlists                         -> {"watchlists":[{"name","fraudsters"}]}
 *   POST   /api/v2/watchlists {"name"}                -> 201 {"name","fraudsters":0} | 409
 *   DELETE /api/v2/watchlists/{name}                  -> {"name","deleted":true} | 404 | 409
 *   GET    /api/v2/watchlists/{name}/fraudsters       -> {"watchlist","fraudsters":[ids],"count"}
 *   POST   /api/v2/watchlists/{name}/fraudsters {"fraudster_id","audio"}
 *          -> 201 {"watchlist","fraudster_id","speech_length"}
 *          | 409 {"error","watchlist","fraudster_id","score"}: the voice is already registered
 *   GET    /api/v2/watchlists/{name}/fraudsters/{id}  -> {"watchlist","fraudster_id"} | 404
 *   DELETE /api/v2/watchlists/{name}/fraudsters/{id}  -> {"watchlist","fraudster_id","deleted"}
 *
 * With "stream" (uuid, streamSid or callSid) instead of "audio", the caller of that live
 * stream is registered once there is enough net speech (fraud_reg.c): 202 at once, the outcome
 * in the stream details' fraud.registration and the audit stream.
 *
 * Registration from a recording works as voiceprint import does (one speaker, any format
 * libsndfile reads, base64 in JSON, min_enroll_speech of net speech; at most two imports or
 * registrations at once, 503 beyond): on the thread pool the recording is decoded, searched
 * against the watchlist's gallery first -- a match at or above the engine's verified threshold
 * is the same voice, answered 409 with the fraudster it matched -- and only then enrolled.
 * `default` always exists and cannot be deleted. Changes are audited (watchlist_create,
 * watchlist_delete, fraudster_add, fraudster_delete; detail "<watchlist>/<id>").
 */
#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "audio/audio.h"
#include "base64.h"
#include "fraud/fraud.h"
#include "live/live.h"
#include "streams/registry.h"
#include "store/store_fraud.h"

#define WL_PATH API_PREFIX "/watchlists"
#define REG_AUDIO_MAX_S 3600
#define REG_IMPORTS_MAX 2

typedef struct {
    uv_work_t work;
    app *a;
    http_req *req;
    char wl[FRAUD_WL_NAME_MAX + 1], id[API_EXTERNAL_ID_MAX + 1];
    uint8_t *audio;
    size_t audio_len;
    fgal *gal;
    /* results */
    char err[256];
    int err_status;
    double speech;
    bool matched;
    size_t row;
    double score;
    uint8_t *blob;
    size_t blob_len;
} reg_job;

/* ---- path ------------------------------------------------------------------------------------ */

/* "/api/v2/watchlists/<name>[/fraudsters[/<id>]]": depth 1, 2 or 3; 0 with 400 sent. */
static int parse(http_req *req, char *name, char *id)
{
    const char *rest = http_req_path_rest(req);
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!n || n > FRAUD_WL_NAME_MAX) {
        http_reply_error(req, 400, "the watchlist name in the path is missing or too long");
        return 0;
    }
    memcpy(name, rest, n);
    name[n] = '\0';
    if (!slash)
        return 1;
    if (strncmp(slash, "/fraudsters", 11) != 0 || (slash[11] && slash[11] != '/')) {
        http_reply_error(req, 404, "no such resource");
        return 0;
    }
    const char *tail = slash[11] ? slash + 12 : "";
    if (!*tail)
        return 2;
    if (strlen(tail) > API_EXTERNAL_ID_MAX || strchr(tail, '/')) {
        http_reply_error(req, 400, "the fraudster_id in the path is too long or has a '/'");
        return 0;
    }
    strcpy(id, tail);
    return 3;
}

static fwl *known_list(app *a, http_req *req, const char *name)
{
    fwl *w = fraud_watchlist(a->fraud, name);
    if (!w)
        http_reply_error(req, 404, "no such watchlist");
    return w;
}

static cJSON *fraudster_json(const char *wl, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "watchlist", wl);
    cJSON_AddStringToObject(o, "fraudster_id", id);
    return o;
}

static void audit(app *a, const char *event, const char *wl, const char *id)
{
    char detail[FRAUD_WL_NAME_MAX + API_EXTERNAL_ID_MAX + 2];
    snprintf(detail, sizeof detail, "%s%s%s", wl, id ? "/" : "", id ? id : "");
    store_audit(a->store, event, NULL, NULL, detail, NULL, NULL);
}

/* ---- watchlists ------------------------------------------------------------------------------ */

typedef struct {
    app *a;
    http_req *req;
    char name[FRAUD_WL_NAME_MAX + 1], id[API_EXTERNAL_ID_MAX + 1];
} wl_job;

static wl_job *wl_job_new(app *a, http_req *req, const char *name, const char *id)
{
    wl_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_reply_error(req, 500, "out of memory");
        return NULL;
    }
    j->a = a;
    j->req = req;
    snprintf(j->name, sizeof j->name, "%s", name);
    snprintf(j->id, sizeof j->id, "%s", id ? id : "");
    return j;
}

static http_result h_lists(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "watchlists");
    for (fwl *w = fraud_watchlist_first(a->fraud); w; w = fraud_watchlist_next(w)) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", fraud_watchlist_name(w));
        cJSON_AddNumberToObject(x, "fraudsters", (double)fraud_watchlist_size(w));
        cJSON_AddItemToArray(arr, x);
    }
    api_send(req, 200, o);
    return HTTP_DONE;
}

static void on_created(void *arg, store_status st, const char *err)
{
    wl_job *j = arg;
    if (st == STORE_OK && fraud_watchlist_add(j->a->fraud, j->name)) {
        audit(j->a, "watchlist_create", j->name, NULL);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", j->name);
        cJSON_AddNumberToObject(o, "fraudsters", 0);
        api_send(j->req, 201, o);
    } else {
        api_store_error(j->req, st == STORE_OK ? STORE_ERROR : st, err ? err : "out of memory");
    }
    free(j);
}

static http_result h_create(http_req *req, void *ud)
{
    app *a = ud;
    cJSON *body = api_auth_body(a, req);
    if (!body)
        return HTTP_DONE;
    bool bad;
    const char *name = api_string(req, body, "name", FRAUD_WL_NAME_MAX, true, &bad);
    wl_job *j = NULL;
    if (!name) {
        /* replied */
    } else if (!store_watchlist_name_ok(name)) {
        http_reply_error(req, 400, "\"name\" must be 1-64 characters of A-Z a-z 0-9 _ - .");
    } else if (fraud_watchlist(a->fraud, name)) {
        http_reply_error(req, 409, "this watchlist already exists");
    } else {
        j = wl_job_new(a, req, name, NULL);
    }
    cJSON_Delete(body);
    if (!j)
        return HTTP_DONE;
    return store_watchlist_add(a->store, j->name, on_created, j) == 0 ? HTTP_DEFERRED : HTTP_DONE;
}

static void on_list_deleted(void *arg, store_status st, const char *err)
{
    wl_job *j = arg;
    if (st == STORE_OK || st == STORE_NOT_FOUND) { /* never stored: only in memory */
        fraud_watchlist_remove(j->a->fraud, j->name);
        audit(j->a, "watchlist_delete", j->name, NULL);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", j->name);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

static void on_fraudster_deleted(void *arg, store_status st, const char *err)
{
    wl_job *j = arg;
    fwl *w = fraud_watchlist(j->a->fraud, j->name);
    if ((st == STORE_OK || st == STORE_NOT_FOUND) && w && fraud_fraudster_exists(w, j->id)) {
        fraud_fraudster_remove(j->a->fraud, w, j->id);
        audit(j->a, "fraudster_delete", j->name, j->id);
        cJSON *o = fraudster_json(j->name, j->id);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else if (st == STORE_OK || st == STORE_NOT_FOUND) {
        http_reply_error(j->req, 404, "no such fraudster on this watchlist");
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

/* ---- registration ---------------------------------------------------------------------------- */

static void reg_fail(reg_job *r, int status, const char *msg)
{
    r->err_status = status;
    snprintf(r->err, sizeof r->err, "%s", msg);
}

/* Before the voiceprint: the closest fraudster of the watchlist, if one matches. */
static void reg_search(void *engine_stream, void *arg)
{
    reg_job *r = arg;
    const app *a = r->a;
    bio_match m;
    size_t found = 0;
    if (!r->gal)
        return;
    bio_status st =
        a->engine->identify(engine_stream, &a->bio, fraud_gallery_engine(r->gal), 1, &m, &found);
    if (st == BIO_OK && found == 1) {
        r->matched = true;
        r->row = m.index;
        r->score = m.score;
    }
}

/* Thread pool: decode, search the gallery, enrol. Touches the job, the read-only model and the
 * gallery snapshot (never changed while held). */
static void reg_work(uv_work_t *w)
{
    reg_job *r = w->data;
    const app *a = r->a;
    int16_t *pcm = NULL;
    size_t n = 0;
    char err[256];
    if (bio_audio_decode_max(r->audio, r->audio_len, "audio", (size_t)REG_AUDIO_MAX_S * 8000, &pcm,
                             &n, err, sizeof err)) {
        reg_fail(r, 400, err);
        return;
    }
    r->blob = malloc(BIO_VOICEPRINT_MAX);
    api_enrol e;
    if (!r->blob || api_enrol_pcm(a, pcm, n, false, reg_search, r, r->blob, &e) != 0) {
        reg_fail(r, 500, "out of memory");
    } else if (e.stopped) {
        reg_fail(r, 503, "the server is stopping");
    } else {
        r->speech = e.speech;
        r->blob_len = e.blob_len;
        bio_status bs = e.status;
        if (bs != BIO_OK) {
            snprintf(err, sizeof err, "no voiceprint: %s (%.1f s of net speech, %.1f s required)",
                     bio_strerror(bs), r->speech, a->bio.min_enroll_speech);
            reg_fail(r, bs == BIO_ERR_SPEECH ? 422 : 500, err);
        }
    }
    free(pcm);
}

static void reg_free(reg_job *r)
{
    free(r->audio);
    free(r->blob);
    free(r);
}

static void on_registered(void *arg, store_status st, const char *err)
{
    reg_job *r = arg;
    fwl *w = fraud_watchlist_add(r->a->fraud, r->wl);
    if (st == STORE_OK && w && fraud_fraudster_add(r->a->fraud, w, r->id, r->blob, r->blob_len) == 0) {
        audit(r->a, "fraudster_add", r->wl, r->id);
        cJSON *o = fraudster_json(r->wl, r->id);
        cJSON_AddNumberToObject(o, "speech_length", (double)(long long)(r->speech * 100) / 100);
        api_send(r->req, 201, o);
    } else {
        api_store_error(r->req, st == STORE_OK ? STORE_ERROR : st, err ? err : "out of memory");
    }
    reg_free(r);
}

static void reg_done(uv_work_t *w, int status)
{
    reg_job *r = w->data;
    app *a = r->a;
    a->api->imports--;
    const char *match = r->matched ? fraud_gallery_id(r->gal, r->row) : NULL;
    bool same = match && r->score >= fraud_match_threshold(a->fraud);
    if (same) { /* before the gallery goes: match points into it */
        cJSON *o = fraudster_json(r->wl, match);
        cJSON_AddStringToObject(o, "error", "this voice is already registered on the watchlist");
        cJSON_AddNumberToObject(o, "score", (double)(long long)(r->score * 100) / 100);
        api_send(r->req, 409, o);
    }
    fraud_gallery_drop(a->fraud, r->gal);
    if (same) {
        reg_free(r);
    } else if (status != 0 || atomic_load(&a->api->stopping)) {
        http_reply_error(r->req, 503, "the gateway is stopping");
        reg_free(r);
    } else if (r->err_status) {
        http_reply_error(r->req, r->err_status, r->err);
        reg_free(r);
    } else {
        store_fraudster_put(a->store, r->wl, r->id, r->blob, r->blob_len, on_registered, r);
    }
}

/* {"fraudster_id", "stream"}: register the caller of a live stream (fraud_reg.c). */
static void register_stream(app *a, http_req *req, fwl *w, const char *id, const char *sid)
{
    stream *s = registry_by_uuid(a->reg, sid);
    if (!s)
        s = registry_by_stream_sid(a->reg, sid);
    if (!s)
        s = registry_by_call_sid(a->reg, sid);
    if (!s) {
        http_reply_error(req, 404, "stream not found");
    } else if (fraud_fraudster_exists(w, id)) {
        http_reply_error(req, 409, "this fraudster_id is already on the watchlist");
    } else if (fraud_reg_start(a->fraud, s, fraud_watchlist_name(w), id, NULL) != 0) {
        http_reply_error(req, 409, "another registration runs on this stream, or biometrics "
                                   "are unavailable");
    } else {
        cJSON *o = fraudster_json(fraud_watchlist_name(w), id);
        cJSON_AddStringToObject(o, "stream_uuid", s->uuid);
        cJSON_AddNumberToObject(o, "status", 202);
        cJSON_AddStringToObject(o, "detail", "registering once there is enough net speech "
                                             "(GET /api/v2/streams/{id}: fraud.registration)");
        api_send(req, 202, o);
    }
}

/* HTTP_DEFERRED when the registration was queued, HTTP_DONE when it was answered. */
static http_result h_register(app *a, http_req *req, fwl *w)
{
    cJSON *body = api_json_body(req);
    if (!body)
        return HTTP_DONE;
    bool bad = false;
    const char *id = api_string(req, body, "fraudster_id", API_EXTERNAL_ID_MAX, true, &bad);
    const char *sid = id ? api_string(req, body, "stream", API_EXTERNAL_ID_MAX, false, &bad)
                         : NULL;
    if (id && sid && !bad) {
        register_stream(a, req, w, id, sid);
        cJSON_Delete(body);
        return HTTP_DONE;
    }
    const char *audio = id && !bad ? api_string(req, body, "audio", (size_t)-1 / 2, true, &bad)
                                   : NULL;
    reg_job *r = NULL;
    if (!id || !audio) {
        /* replied */
    } else if (!live_external_id_ok(id)) {
        http_reply_error(req, 400, "\"fraudster_id\" must be 1-256 bytes without control characters");
    } else if (fraud_fraudster_exists(w, id)) {
        http_reply_error(req, 409, "this fraudster_id is already on the watchlist");
    } else if (!a->model || !a->engine->identify) {
        http_reply_error(req, 503, "biometrics unavailable (no model)");
    } else if (a->api->imports >= REG_IMPORTS_MAX) {
        http_reply_error(req, 503, "two imports are running; retry later");
    } else if (!(r = calloc(1, sizeof *r)) ||
               !(r->audio = malloc(B64_DECODED_MAX(strlen(audio)) + 1))) {
        free(r);
        r = NULL;
        http_reply_error(req, 500, "out of memory");
    } else if (b64_decode(audio, strlen(audio), r->audio, B64_DECODED_MAX(strlen(audio)) + 1,
                          &r->audio_len) != B64_OK) {
        reg_free(r);
        r = NULL;
        http_reply_error(req, 400, "\"audio\" is not base64");
    }
    if (r) {
        r->a = a;
        r->req = req;
        snprintf(r->wl, sizeof r->wl, "%s", fraud_watchlist_name(w));
        snprintf(r->id, sizeof r->id, "%s", id);
        r->gal = fraud_gallery_take(w);
        r->work.data = r;
        a->api->imports++;
        if (uv_queue_work(a->loop, &r->work, reg_work, reg_done) != 0) {
            a->api->imports--;
            fraud_gallery_drop(a->fraud, r->gal);
            reg_free(r);
            http_reply_error(req, 503, "cannot start the registration");
            r = NULL;
        }
    }
    cJSON_Delete(body);
    return r ? HTTP_DEFERRED : HTTP_DONE;
}

/* ---- the one route under /watchlists/ -------------------------------------------------------- */

static http_result h_under(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    char name[FRAUD_WL_NAME_MAX + 1], id[API_EXTERNAL_ID_MAX + 1];
    int depth = parse(req, name, id);
    fwl *w = depth ? known_list(a, req, name) : NULL;
    if (!w)
        return HTTP_DONE;
    const char *m = http_req_method(req);
    bool del = strcmp(m, "DELETE") == 0, get = strcmp(m, "GET") == 0;
    wl_job *j = NULL;
    if (depth == 1 && del) {
        if (strcmp(name, FRAUD_WATCHLIST_DEFAULT) == 0) {
            http_reply_error(req, 409, "the default watchlist cannot be deleted");
        } else if ((j = wl_job_new(a, req, name, NULL))) {
            store_watchlist_delete(a->store, name, on_list_deleted, j);
            return HTTP_DEFERRED;
        }
    } else if (depth == 2 && get) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "watchlist", name);
        cJSON *arr = cJSON_AddArrayToObject(o, "fraudsters");
        for (size_t i = 0; i < fraud_watchlist_size(w); i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(fraud_watchlist_id(w, i)));
        cJSON_AddNumberToObject(o, "count", (double)fraud_watchlist_size(w));
        api_send(req, 200, o);
    } else if (depth == 2 && strcmp(m, "POST") == 0) {
        return h_register(a, req, w);
    } else if (depth == 3 && get) {
        if (fraud_fraudster_exists(w, id))
            api_send(req, 200, fraudster_json(name, id));
        else
            http_reply_error(req, 404, "no such fraudster on this watchlist");
    } else if (depth == 3 && del) {
        if ((j = wl_job_new(a, req, name, id))) {
            store_fraudster_delete(a->store, name, id, on_fraudster_deleted, j);
            return HTTP_DEFERRED;
        }
    } else {
        http_reply_error(req, 405, "method not allowed here");
    }
    return HTTP_DONE;
}

void api_watchlists_register(struct app *a)
{
    api_route(a, "GET", WL_PATH, h_lists);
    api_route(a, "POST", WL_PATH, h_create);
    api_route(a, "GET", WL_PATH "/*", h_under);
    api_route(a, "POST", WL_PATH "/*", h_under);
    api_route(a, "DELETE", WL_PATH "/*", h_under);
    http_route_body_max(a->router, "POST", WL_PATH "/*", (size_t)a->cfg->import_body_max);
}
