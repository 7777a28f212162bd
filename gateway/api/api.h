/* api.h -- the REST API under /api/v2: registration and the helpers every route file uses.
 *
 * Routes live in one file per area (api_<area>.c), each with an api_<area>_register()
 * called from api_register(). Handlers run on the loop thread (http.h): they validate input,
 * reply at once or defer while Redis or a worker answers. Every route but login, health,
 * metrics and the OpenAPI document calls api_auth() first.
 *
 * Errors are {"error": "<sentence>"} with a meaningful status: 400 malformed input (the
 * sentence names the field), 401 missing/invalid token, 404 unknown id, 409 conflict,
 * 413 body too large (router), 423 maintenance, 503 dependency down (Redis, no model).
 *
 * Deferred replies: a handler that waits for Redis, the KDF or the thread pool keeps the
 * http_req in a small job struct and replies from the callback. http.h guarantees the
 * request stays valid until that reply even when the client went away (the reply then only
 * frees it), and every store/auth/uv_work callback is called exactly once, also at shutdown,
 * so no abort handler is needed.
 *
 * Route order matters: the router takes the first match in registration order, so exact
 * paths ("/api/v2/streams/count") and longer prefixes ("/api/v2/stream/HTTP/data/") are
 * registered before shorter prefixes of other areas ("/api/v2/stream/").
 */
#ifndef CALLPRINT_API_H
#define CALLPRINT_API_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "bio.h"
#include "store/store.h"

struct app;
struct api_hstream;

#define API_PREFIX "/api/v2"
/* external_id: at most 256 characters (UTF-8 code points, as the Voice Verify manual counts
 * them), so up to 4 bytes each. */
#define API_EXTERNAL_ID_MAX 256
#define API_EXTERNAL_ID_BYTES (4 * API_EXTERNAL_ID_MAX)
#define API_PHONE_LISTS 2 /* api_phone.h */

/* The API's own state, owned by the app (a->api). */
typedef struct api {
    struct app *a;
    char *openapi; /* schemas/openapi.json, read once at start (NULL: not found) */
    size_t openapi_len;
    bool record_checked;  /* the stored admin password record was looked up */
    bool record_reading;  /* a refresh of it is in flight */
    uint64_t record_read_ms; /* loop time of the last successful read */
    unsigned record_seq;  /* bumped by a password change here: reads issued before are stale */
    unsigned refresh_seq; /* record_seq when the refresh in flight was issued */
    int imports;          /* recording imports running on the thread pool */
    atomic_bool stopping; /* set at shutdown: imports on the pool give up early */
    uint64_t fail_window_ms; /* failed authentications: the log window's start (loop time) */
    unsigned fail_logged, fail_suppressed;
    struct api_hstream *hstreams; /* open HTTP push streams */
    size_t n_hstreams;
    uint64_t hstreams_opened, hstreams_timed_out;
    struct api_vv_route *vv_routes; /* api_vv.c: the manual's aliases bound to this app */
    /* api_phone.c: the lists keyed by phone number (the directory, the deny list), each bound
     * to this app as its routes' user data. */
    struct api_phone_route {
        struct app *a;
        const struct api_phone_list *list;
    } phone_routes[API_PHONE_LISTS];
    size_t n_phone_routes;
} api;

/* Register every REST route on a->router and set a->api. */
void api_register(struct app *a);
/* After the server is closed (HTTP streams ended). NULL is fine. */
void api_free(api *p);

/* Check "Authorization: Token <t>". On failure replies (401, or 503 when the API is
 * disabled because no admin password is configured), records an audit event, and returns
 * false: the handler must return HTTP_DONE without replying again. */
bool api_auth(struct app *a, http_req *req);
/* Failed authentications are cheap to cause, so they are not logged and audited one by one
 * without bound (a flood would evict the real audit trail): true when this failure may get its
 * own log line and audit entry (the first few of each minute), false when it is only counted.
 * The count goes out as one summary line and audit entry when the minute is over (at the next
 * failure) or at shutdown (api_failures_flush). */
bool api_failure_admit(struct app *a);
void api_failures_flush(struct app *a);
/* An audit entry for a failure, only while Redis is connected: queued while it is down, it
 * would take a place in the write queue that real writes need. */
void api_failure_audit(struct app *a, const char *event, const char *detail);
/* Re-read the stored admin password record if the last read is over a second old (another
 * gateway may have changed it); called on token checks, answers nothing. */
void api_record_refresh(struct app *a);
/* The token of the Authorization header (after api_auth succeeded), NULL if none. */
const char *api_token(http_req *req);

/* The body as a JSON object; on failure replies 400 and returns NULL. Caller frees. */
cJSON *api_json_body(http_req *req);
/* api_auth() then api_json_body(): NULL when a reply (401/503/400) was sent. */
cJSON *api_auth_body(struct app *a, http_req *req);

/* A string member: returns it, or NULL with *bad set and a 400 reply already sent when it is
 * required and missing, not a string, empty, or longer than max bytes. Optional and absent:
 * NULL, *bad false. */
const char *api_string(http_req *req, const cJSON *obj, const char *name, size_t max,
                       bool required, bool *bad);
/* api_string for an external_id: at most API_EXTERNAL_ID_MAX characters (code points). */
const char *api_external_id(http_req *req, const cJSON *obj, const char *name, bool required,
                            bool *bad);

/* A request waiting for the store about one id (an external_id): what its completion needs
 * to answer. `variant` is the handler's own choice between two answers. */
typedef struct api_id_job {
    struct app *a;
    http_req *req;
    bool variant;
    char id[API_EXTERNAL_ID_BYTES + 1];
} api_id_job;
/* A new job for id; NULL after answering 500. Freed with free(). */
api_id_job *api_id_job_new(struct app *a, http_req *req, const char *id);
/* Authenticates, then the JSON body's required "external_id" as a new job; NULL after the
 * error reply. */
api_id_job *api_id_job_from_body(struct app *a, http_req *req);
/* The same with the external_id after a prefix route ("/api/v2/voiceprint/<id>"). */
api_id_job *api_id_job_from_path(struct app *a, http_req *req);
/* An optional boolean member (absent: def); wrong type: 400 sent, *bad set. */
bool api_bool(http_req *req, const cJSON *obj, const char *name, bool def, bool *bad);

/* A decimal query argument in [lo, hi], def when absent; false with 400 sent when it is
 * malformed or out of range. */
bool api_query_u64(http_req *req, const char *name, uint64_t def, uint64_t lo, uint64_t hi,
                   uint64_t *out);

/* Characters (UTF-8 code points) of a NUL-terminated string. */
size_t api_utf8_len(const char *s);

/* The id after a prefix route ("/api/v2/voiceprint/<id>"), copied into out: the router's
 * path is already percent-decoded once, so it is not decoded again ("a%2541" is "a%41").
 * Empty, longer than max characters (code points), containing '/' or control characters:
 * 400 sent, returns false. */
bool api_path_id(http_req *req, const char *what, size_t max, char *out, size_t cap);
/* api_auth(), then api_path_id() of an id of at most API_EXTERNAL_ID_MAX characters into id
 * (API_EXTERNAL_ID_BYTES + 1 bytes); false when a reply (401, 400) was sent. */
bool api_auth_path_id(struct app *a, http_req *req, const char *what, char *id);

/* Add 1 to the number obj[key] (created at 1). For counts by name. */
void api_json_bump(cJSON *obj, const char *key);
/* Reply with a cJSON tree (freed here). */
void api_send(http_req *req, int status, cJSON *body);
/* A store failure as HTTP: NOT_FOUND 404, EXISTS 409, UNAVAILABLE/OVERFLOW/CLOSED 503, else
 * 500; the sentence is the store's. */
void api_store_error(http_req *req, store_status st, const char *err);

/* Enrolment from PCM (api_enrol.c, over bio_enrol_pcm in biometrics/enrol.h, which the CLI's
 * enroll shares), used by every REST path that enrols a recording (the import, a fraudster's
 * registration): a new engine stream fed the n samples, the spoofing
 * countermeasure beside it when `spoof` and a spoofing model is loaded, then `peek` (if any)
 * on the engine stream (a registration's gallery search), then the voiceprint into blob
 * (BIO_VOICEPRINT_MAX bytes). When the server starts stopping during the feed, nothing
 * more is done: `stopped`, no voiceprint. Thread pool; -1 only when out of memory. */
typedef struct {
    double speech;      /* net speech heard, seconds */
    const char *spoof;  /* the countermeasure's verdict name; NULL when it did not run */
    double spoof_score; /* rounded to 0.01 */
    bool stopped;       /* the server began stopping: no voiceprint */
    bio_status status;  /* of the enrolment (BIO_OK when stopped) */
    size_t blob_len;
} api_enrol;
typedef void api_enrol_peek(void *engine_stream, void *arg);
int api_enrol_pcm(const struct app *a, const int16_t *pcm, size_t n, bool spoof,
                  api_enrol_peek *peek, void *arg, uint8_t *blob, api_enrol *out);

/* GET /api/v2/status's object (api_admin.c); the console's health figures start from it. */
cJSON *api_status_json(struct app *a);

/* http_route with the app as user data; a full route table is logged (a programming error). */
void api_route(struct app *a, const char *method, const char *path, http_handler h);

/* The areas. */
void api_auth_register(struct app *a);
void api_admin_register(struct app *a);
void api_streams_register(struct app *a);
void api_httpstream_register(struct app *a);
void api_voiceprints_register(struct app *a);
void api_live_register(struct app *a); /* api_live.c: enrol/verify on streams, subscriptions */
void api_connect_register(struct app *a);   /* api_connect.c: Amazon Connect contacts */
void api_directory_register(struct app *a); /* api_directory.c: customer directory */
void api_debug_register(struct app *a);     /* api_debug.c: GET /debug/latency (H10) */
void api_console_register(struct app *a);   /* api_console.c: console events, voiceprint search */
void api_vv_register(struct app *a); /* api_vv.c: the Voice Verify manual's paths (aliases) */
/* api_httpstream.c, for status and listings: open HTTP streams; whether s is one. */
size_t api_httpstream_count(const api *p);
struct stream;
bool api_httpstream_is(const struct stream *s);

#endif
