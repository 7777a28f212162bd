/* api_voiceprints.c -- voiceprints: exists, delete, counts, enrolment from recordings,
 * snapshot export and import.
 *
 *   POST   /api/v2/voiceprint             {"external_id"} -> {"external_id","exists"}
 *   GET    /api/v2/voiceprint/{id}        metadata (created, stream_uuid, speech_length)
 *   DELETE /api/v2/voiceprint/{id}        opt-out / right to be forgotten (audited)
 *   GET    /api/v2/voiceprints/count      {"count"}
 *   POST   /api/v2/import                 {"recordings":[{"external_id","audio":"<base64 of a
 *                                         whole audio file>","overwrite":false}, ...]}
 *   GET    /api/v2/snapshot               every voiceprint (paged SSCAN, one deferred reply)
 *   POST   /api/v2/snapshot/import        {"mode":"overwrite"|"skip","voiceprints":[...]}
 *
 * Recordings are decoded (any libsndfile format, mono only, resampled to 8 kHz) and enrolled
 * on the libuv thread pool through the engine table (a->engine: stream_new/feed/enroll), so
 * the loop never runs DSP; at most API_IMPORTS_MAX such jobs run at once. Each recording must
 * hold the configured minimum of net speech (bio.min_enroll_speech). Results are per
 * recording; the reply waits until Redis acknowledged every write (a voiceprint reported
 * "created" is stored). Snapshot voiceprints are validated with a->engine->check (integrity
 * and model) before they are written. Both imports share put_batch: N writes in flight, one
 * reply when the last is acknowledged.
 *
 * A delete or an overwrite, once acknowledged, tells live biometrics (live_voiceprint_changed):
 * calls verifying against that external_id stop using their cached copy at once instead of
 * for the rest of the call. Other gateway processes learn it from the voiceprint's stamp in
 * Redis, which their live jobs check at every tick (store_voiceprint_stamp).
 *
 * Request bodies are bounded by the router, 413 beyond, before they are buffered. /import
 * has its own limit, import_body_max (64 MiB: a batch of recordings, base64 adding a third,
 * ~45 min of 8 kHz 16-bit audio), so that raising it for bulk enrolment does not let every
 * other route buffer that much; every other route keeps http_body_max (1 MiB).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "audio/audio.h"
#include "base64.h"
#include "live/live.h"
#include "common/log.h"
#include "common/time.h"

#define API_IMPORTS_MAX 2
#define IMPORT_ITEMS_MAX 64
#define SNAPSHOT_ITEMS_MAX 10000
#define SCAN_PAGE 200
/* One uploaded recording decodes to at most this much audio (8 kHz): its header is not
 * trusted, so this, not the header, bounds the memory an import can take. */
#define IMPORT_AUDIO_MAX_S 3600

/* ---- exists, metadata, delete, count ---------------------------------------------------- */

typedef api_id_job vp_job;

static void on_exists(void *arg, store_status st, const char *err)
{
    vp_job *j = arg;
    if (st == STORE_OK || st == STORE_NOT_FOUND) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external_id", j->id);
        cJSON_AddBoolToObject(o, "exists", st == STORE_OK);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, err);
    }
    free(j);
}

static http_result h_exists(http_req *req, void *ud)
{
    app *a = ud;
    vp_job *j = api_id_job_from_body(a, req);
    if (!j)
        return HTTP_DONE;
    store_voiceprint_exists(a->store, j->id, on_exists, j);
    return HTTP_DEFERRED;
}

static void on_deleted(void *arg, store_status st, const char *err)
{
    vp_job *j = arg;
    if (st == STORE_OK) {
        store_audit(j->a->store, "voiceprint_delete", NULL, NULL, j->id, NULL, NULL);
        live_voiceprint_changed(j->a->live, j->id); /* running verifications stop using it */
        log_info("voiceprint deleted through the API (opt-out)");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external_id", j->id);
        cJSON_AddBoolToObject(o, "deleted", true);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, st == STORE_NOT_FOUND ? "no voiceprint for that external_id"
                                                           : err);
    }
    free(j);
}

static void on_meta(void *arg, store_status st, const store_voiceprint *vp, const char *err)
{
    vp_job *j = arg;
    if (st == STORE_OK) {
        char when[32];
        time_rfc3339(vp->created_ms, when);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external_id", j->id);
        cJSON_AddStringToObject(o, "created", when);
        cJSON_AddNumberToObject(o, "created_ms", (double)vp->created_ms);
        cJSON_AddStringToObject(o, "stream_uuid", vp->stream_uuid ? vp->stream_uuid : "NA");
        cJSON_AddNumberToObject(o, "speech_length", vp->speech_s);
        cJSON_AddNumberToObject(o, "size", (double)vp->len);
        api_send(j->req, 200, o);
    } else {
        api_store_error(j->req, st, st == STORE_NOT_FOUND ? "no voiceprint for that external_id"
                                                           : err);
    }
    free(j);
}

static http_result h_by_id(http_req *req, void *ud)
{
    app *a = ud;
    vp_job *j = api_id_job_from_path(a, req);
    if (!j)
        return HTTP_DONE;
    if (strcmp(http_req_method(req), "DELETE") == 0)
        store_voiceprint_delete(a->store, j->id, on_deleted, j);
    else
        store_voiceprint_get(a->store, j->id, on_meta, j);
    return HTTP_DEFERRED;
}

static void on_count(void *arg, store_status st, uint64_t count, const char *err)
{
    http_req *req = arg;
    if (st != STORE_OK) {
        api_store_error(req, st, err);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)count);
    api_send(req, 200, o);
}

static http_result h_count(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    store_voiceprint_count(a->store, on_count, req);
    return HTTP_DEFERRED;
}

/* ---- put_batch: N voiceprint writes, one reply ------------------------------------------- */

typedef struct put_batch put_batch;

typedef struct {
    put_batch *b;
    char id[API_EXTERNAL_ID_BYTES + 1];
    char stream_uuid[STREAM_UUID_LEN + 1];
    uint8_t *data; /* recording file (import) or voiceprint blob (snapshot) */
    size_t data_len;
    uint8_t *blob; /* import: the voiceprint made on the thread pool */
    size_t blob_len;
    int64_t created_ms;
    double speech;
    const char *spoof; /* import: the countermeasure's result (NULL: it did not run) */
    double spoof_score;
    store_put_mode mode;
    const char *status; /* "created", "skipped", "failed" */
    char detail[256];
} put_item;

struct put_batch {
    app *a;
    http_req *req;
    uv_work_t work;
    size_t n, pending;
    put_item items[];
};

static put_batch *batch_new(app *a, http_req *req, size_t n)
{
    put_batch *b = calloc(1, sizeof *b + n * sizeof b->items[0]);
    if (!b)
        return NULL;
    b->a = a;
    b->req = req;
    b->n = n;
    for (size_t i = 0; i < n; i++)
        b->items[i].b = b;
    return b;
}

static void batch_free(put_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].data);
        free(b->items[i].blob);
    }
    free(b);
}

static void item_fail(put_item *it, const char *fmt, const char *arg)
{
    it->status = "failed";
    snprintf(it->detail, sizeof it->detail, fmt, arg);
}

static void batch_reply(put_batch *b)
{
    size_t created = 0, skipped = 0, failed = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "results");
    for (size_t i = 0; i < b->n; i++) {
        put_item *it = &b->items[i];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "external_id", it->id);
        cJSON_AddStringToObject(r, "status", it->status);
        cJSON_AddNumberToObject(r, "speech_length", it->speech);
        if (it->spoof) {
            cJSON_AddNumberToObject(r, "spoof_score", it->spoof_score);
            cJSON_AddStringToObject(r, "spoof", it->spoof);
        }
        if (it->detail[0])
            cJSON_AddStringToObject(r, "detail", it->detail);
        cJSON_AddItemToArray(arr, r);
        created += it->status[0] == 'c';
        skipped += it->status[0] == 's';
        failed += it->status[0] == 'f';
    }
    cJSON_AddNumberToObject(o, "created", (double)created);
    cJSON_AddNumberToObject(o, "skipped", (double)skipped);
    cJSON_AddNumberToObject(o, "failed", (double)failed);
    api_send(b->req, 200, o);
    if (created && b->a->store) {
        char detail[64];
        snprintf(detail, sizeof detail, "%zu voiceprint(s) written", created);
        store_audit(b->a->store, "voiceprint_import", NULL, NULL, detail, NULL, NULL);
    }
    batch_free(b);
}

static void on_put(void *arg, store_status st, const char *err)
{
    put_item *it = arg;
    if (st == STORE_OK) {
        it->status = "created";
        live_voiceprint_changed(it->b->a->live, it->id); /* may have replaced one in use */
    } else if (st == STORE_EXISTS) {
        it->status = "skipped";
        snprintf(it->detail, sizeof it->detail, "already exists (not overwritten)");
    } else {
        item_fail(it, "not stored: %s", err ? err : store_strerror(st));
    }
    if (--it->b->pending == 0)
        batch_reply(it->b);
}

/* Write every item that has a blob; reply when the last write is acknowledged. */
static void batch_store(put_batch *b)
{
    b->pending = 1; /* held until every put is issued */
    for (size_t i = 0; i < b->n; i++) {
        put_item *it = &b->items[i];
        if (it->status)
            continue;
        store_voiceprint vp = {
            .external_id = it->id,
            .blob = it->blob ? it->blob : it->data,
            .len = it->blob ? it->blob_len : it->data_len,
            .created_ms = it->created_ms,
            .stream_uuid = it->stream_uuid[0] ? it->stream_uuid : NULL,
            .speech_s = it->speech,
        };
        b->pending++;
        store_voiceprint_put(b->a->store, &vp, it->mode, on_put, it);
    }
    if (--b->pending == 0)
        batch_reply(b);
}

/* ---- import from recordings ---------------------------------------------------------------- */

/* Thread pool: decode and enrol one recording. Touches only the item and the read-only model. */
static void enrol_item(const app *a, put_item *it)
{
    char err[256];
    int16_t *pcm = NULL;
    size_t n = 0;
    if (bio_audio_decode_max(it->data, it->data_len, "recording", (size_t)IMPORT_AUDIO_MAX_S * 8000,
                             &pcm, &n, err, sizeof err)) {
        item_fail(it, "%s", err);
        return;
    }
    free(it->data);
    it->data = NULL;
    it->blob = malloc(BIO_VOICEPRINT_MAX);
    api_enrol e;
    if (!it->blob || api_enrol_pcm(a, pcm, n, true, NULL, NULL, it->blob, &e) != 0) {
        item_fail(it, "%s", "out of memory");
    } else {
        /* Stopping: no voiceprint from a recording cut short (import_done says cancelled). */
        it->speech = e.speech;
        it->spoof = e.spoof;
        it->spoof_score = e.spoof_score;
        it->blob_len = e.blob_len;
        bio_status bs = e.status;
        if (bs == BIO_ERR_SPEECH) {
            it->status = "failed";
            snprintf(it->detail, sizeof it->detail,
                     "not enough net speech: %.1f s found, %.1f s required", it->speech,
                     a->bio.min_enroll_speech);
        } else if (bs != BIO_OK) {
            item_fail(it, "enrolment failed: %s", bio_strerror(bs));
        } else if (it->spoof && strcmp(it->spoof, "spoof") == 0) {
            /* synthetic or replayed speech never becomes a voiceprint */
            it->status = "failed";
            it->blob_len = 0;
            snprintf(it->detail, sizeof it->detail,
                     "refused: the audio was judged spoofed (synthetic or replayed speech; spoof "
                     "score %.1f, threshold %.1f)", it->spoof_score, a->spoof_threshold);
        }
    }
    free(pcm);
}

static void import_work(uv_work_t *w)
{
    put_batch *b = w->data;
    for (size_t i = 0; i < b->n; i++)
        if (!b->items[i].status && !atomic_load(&b->a->api->stopping))
            enrol_item(b->a, &b->items[i]);
}

static void import_done(uv_work_t *w, int status)
{
    put_batch *b = w->data;
    b->a->api->imports--;
    bool cancelled = status != 0 || atomic_load(&b->a->api->stopping);
    for (size_t i = 0; cancelled && i < b->n; i++)
        if (!b->items[i].status && !b->items[i].blob_len)
            item_fail(&b->items[i], "%s", "cancelled (shutting down)");
    batch_store(b);
}

/* Check and copy one recording entry; false with a 400 sent. */
static bool parse_recording(http_req *req, const cJSON *rec, size_t i, put_item *it)
{
    char msg[160];
    if (!cJSON_IsObject(rec)) {
        snprintf(msg, sizeof msg, "recordings[%zu] must be an object", i);
        http_reply_error(req, 400, msg);
        return false;
    }
    bool bad;
    const char *id = api_external_id(req, rec, "external_id", true, &bad);
    const char *audio = bad ? NULL : api_string(req, rec, "audio", (size_t)-1, true, &bad);
    bool overwrite = bad ? false : api_bool(req, rec, "overwrite", false, &bad);
    if (bad)
        return false;
    size_t len = strlen(audio);
    it->data = malloc(B64_DECODED_MAX(len) + 1);
    b64_status bs = it->data ? b64_decode(audio, len, it->data, B64_DECODED_MAX(len) + 1,
                                          &it->data_len)
                             : B64_OK;
    if (!it->data || bs != B64_OK) {
        snprintf(msg, sizeof msg, "recordings[%zu].audio is not valid base64: %s", i,
                 it->data ? b64_strerror(bs) : "out of memory");
        http_reply_error(req, it->data ? 400 : 500, msg);
        return false;
    }
    snprintf(it->id, sizeof it->id, "%s", id);
    it->mode = overwrite ? STORE_PUT_OVERWRITE : STORE_PUT_SKIP_EXISTING;
    return true;
}

/* The array member `name` with 1..max entries; NULL with a 400 sent. */
static const cJSON *body_array(http_req *req, const cJSON *body, const char *name, int max)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, name);
    char msg[128];
    if (cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0 && cJSON_GetArraySize(arr) <= max)
        return arr;
    snprintf(msg, sizeof msg, "\"%s\" must be an array of 1 to %d entries", name, max);
    http_reply_error(req, 400, msg);
    return NULL;
}

static bool need_model(app *a, http_req *req)
{
    if (a->model)
        return true;
    http_reply_error(req, 503, "no biometric model is loaded");
    return false;
}

static http_result h_import(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req) || !need_model(a, req))
        return HTTP_DONE;
    if (a->api->imports >= API_IMPORTS_MAX) {
        http_add_header(req, "Retry-After", "5");
        http_reply_error(req, 503, "imports are already running; retry shortly");
        return HTTP_DONE;
    }
    cJSON *body = api_json_body(req);
    const cJSON *arr = body ? body_array(req, body, "recordings", IMPORT_ITEMS_MAX) : NULL;
    put_batch *b = arr ? batch_new(a, req, (size_t)cJSON_GetArraySize(arr)) : NULL;
    if (arr && !b)
        http_reply_error(req, 500, "out of memory");
    bool ok = b != NULL;
    for (size_t i = 0; ok && i < b->n; i++)
        ok = parse_recording(req, cJSON_GetArrayItem(arr, (int)i), i, &b->items[i]);
    cJSON_Delete(body);
    if (!ok) {
        if (b)
            batch_free(b);
        return HTTP_DONE;
    }
    b->work.data = b;
    if (uv_queue_work(a->loop, &b->work, import_work, import_done) != 0) {
        http_reply_error(req, 503, "the import could not be started");
        batch_free(b);
        return HTTP_DONE;
    }
    a->api->imports++;
    return HTTP_DEFERRED;
}

/* ---- snapshot export ---------------------------------------------------------------------- */

typedef struct {
    app *a;
    http_req *req;
    cJSON *root, *list, *errors;
} snap_job;

static void add_voiceprint(snap_job *j, const store_voiceprint *vp)
{
    char *b64 = malloc(B64_ENCODED_LEN(vp->len) + 1);
    char when[32];
    cJSON *o = cJSON_CreateObject();
    if (!b64 || !o) {
        free(b64);
        cJSON_Delete(o);
        return;
    }
    b64_encode(vp->blob, vp->len, b64, B64_ENCODED_LEN(vp->len) + 1);
    time_rfc3339(vp->created_ms, when);
    cJSON_AddStringToObject(o, "external_id", vp->external_id);
    cJSON_AddStringToObject(o, "created", when);
    cJSON_AddNumberToObject(o, "created_ms", (double)vp->created_ms);
    cJSON_AddStringToObject(o, "stream_uuid", vp->stream_uuid ? vp->stream_uuid : "NA");
    cJSON_AddNumberToObject(o, "speech_length", vp->speech_s);
    cJSON_AddStringToObject(o, "voiceprint", b64);
    free(b64);
    cJSON_AddItemToArray(j->list, o);
}

static void on_scan(void *arg, store_status st, uint64_t next, const store_voiceprint *vps,
                    const store_status *item_st, size_t n, const char *err)
{
    snap_job *j = arg;
    if (st != STORE_OK) {
        api_store_error(j->req, st, err);
        cJSON_Delete(j->root);
        free(j);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (item_st[i] == STORE_OK && vps[i].blob)
            add_voiceprint(j, &vps[i]);
        else if (item_st[i] != STORE_NOT_FOUND) /* deleted during the scan: not an error */
            cJSON_AddItemToArray(j->errors, cJSON_CreateString(vps[i].external_id));
    }
    if (next != 0) {
        store_voiceprint_scan(j->a->store, next, SCAN_PAGE, on_scan, j);
        return;
    }
    cJSON_AddNumberToObject(j->root, "count", cJSON_GetArraySize(j->list));
    api_send(j->req, 200, j->root);
    free(j);
}

static http_result h_snapshot(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    snap_job *j = calloc(1, sizeof *j);
    cJSON *root = j ? cJSON_CreateObject() : NULL;
    if (!root) {
        free(j);
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    char when[32];
    time_rfc3339(time_now_ms(), when);
    const char *file = strrchr(a->cfg->model, '/');
    cJSON *m = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(m, "engine", a->engine ? a->engine->name : "");
    cJSON_AddStringToObject(m, "file", file ? file + 1 : a->cfg->model);
    cJSON_AddStringToObject(root, "generated", when);
    *j = (snap_job){a, req, root, cJSON_AddArrayToObject(root, "voiceprints"),
                    cJSON_AddArrayToObject(root, "unreadable")};
    store_voiceprint_scan(a->store, 0, SCAN_PAGE, on_scan, j);
    return HTTP_DEFERRED;
}

/* ---- snapshot import ---------------------------------------------------------------------- */

/* Validate one exported voiceprint into it (a bad one is marked failed, not fatal). */
static bool parse_snapshot_item(http_req *req, app *a, const cJSON *v, size_t i, put_item *it)
{
    char msg[160];
    bool bad;
    if (!cJSON_IsObject(v)) {
        snprintf(msg, sizeof msg, "voiceprints[%zu] must be an object", i);
        http_reply_error(req, 400, msg);
        return false;
    }
    const char *id = api_external_id(req, v, "external_id", true, &bad);
    const char *b64 = bad ? NULL : api_string(req, v, "voiceprint", (size_t)-1, true, &bad);
    if (bad)
        return false;
    snprintf(it->id, sizeof it->id, "%s", id);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "created_ms");
    /* Only a time that fits (up to year 2286 in ms): converting a larger double, an infinity
     * or a NaN to int64_t is undefined behaviour. */
    it->created_ms = cJSON_IsNumber(c) && c->valuedouble > 0 && c->valuedouble < 1e16
                         ? (int64_t)c->valuedouble
                         : 0;
    const cJSON *su = cJSON_GetObjectItemCaseSensitive(v, "stream_uuid");
    if (cJSON_IsString(su) && strcmp(su->valuestring, "NA") != 0)
        snprintf(it->stream_uuid, sizeof it->stream_uuid, "%s", su->valuestring);
    size_t len = strlen(b64);
    if (len > B64_ENCODED_LEN(BIO_VOICEPRINT_MAX)) {
        item_fail(it, "%s", "voiceprint larger than the engine's maximum");
        return true;
    }
    it->data = malloc(B64_DECODED_MAX(len) + 1);
    if (!it->data) {
        item_fail(it, "%s", "out of memory");
        return true;
    }
    b64_status bs = b64_decode(b64, len, it->data, B64_DECODED_MAX(len) + 1, &it->data_len);
    if (bs != B64_OK) {
        item_fail(it, "voiceprint is not valid base64: %s", b64_strerror(bs));
        return true;
    }
    bio_status cs = a->engine->check(a->model, it->data, it->data_len, &it->speech);
    if (cs != BIO_OK)
        item_fail(it, "voiceprint refused: %s", bio_strerror(cs));
    return true;
}

static http_result h_snapshot_import(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req) || !need_model(a, req))
        return HTTP_DONE;
    cJSON *body = api_json_body(req);
    if (!body)
        return HTTP_DONE;
    bool bad;
    const char *mode = api_string(req, body, "mode", 16, true, &bad);
    if (!bad && strcmp(mode, "overwrite") != 0 && strcmp(mode, "skip") != 0) {
        http_reply_error(req, 400, "\"mode\" must be \"overwrite\" or \"skip\"");
        bad = true;
    }
    const cJSON *arr = bad ? NULL : body_array(req, body, "voiceprints", SNAPSHOT_ITEMS_MAX);
    put_batch *b = arr ? batch_new(a, req, (size_t)cJSON_GetArraySize(arr)) : NULL;
    if (arr && !b)
        http_reply_error(req, 500, "out of memory");
    bool ok = b != NULL;
    for (size_t i = 0; ok && i < b->n; i++) {
        ok = parse_snapshot_item(req, a, cJSON_GetArrayItem(arr, (int)i), i, &b->items[i]);
        b->items[i].mode = mode[0] == 'o' ? STORE_PUT_OVERWRITE : STORE_PUT_SKIP_EXISTING;
    }
    cJSON_Delete(body);
    if (!ok) {
        if (b)
            batch_free(b);
        return HTTP_DONE;
    }
    batch_store(b);
    return HTTP_DEFERRED;
}

void api_voiceprints_register(app *a)
{
    api_route(a, "POST", API_PREFIX "/voiceprint", h_exists);
    api_route(a, "GET", API_PREFIX "/voiceprint/*", h_by_id);
    api_route(a, "DELETE", API_PREFIX "/voiceprint/*", h_by_id);
    api_route(a, "GET", API_PREFIX "/voiceprints/count", h_count);
    api_route(a, "POST", API_PREFIX "/import", h_import);
    http_route_body_max(a->router, "POST", API_PREFIX "/import", (size_t)a->cfg->import_body_max);
    api_route(a, "GET", API_PREFIX "/snapshot", h_snapshot);
    api_route(a, "POST", API_PREFIX "/snapshot/import", h_snapshot_import);
}
